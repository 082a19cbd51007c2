"""What a run costs: its time on this server, its GPU time on ZeroGPU, and the time left while it goes."""
