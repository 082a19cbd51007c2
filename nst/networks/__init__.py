"""The feature networks: one small interface, VGG-19 and SqueezeNet, built once per process on a device."""
