"""Files in and out: pictures, clips read and written, and the animation of a run's progress."""
