"""Colour: the maths of colour spaces and statistics, the repainted start, and the palette held during the run."""
