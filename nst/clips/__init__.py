"""Clips: a video restyled frame by frame, each frame carried from the last along the optical flow."""
