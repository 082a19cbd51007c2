"""The method: the losses and what they compare with, the objective built per stage, and the descent on the pixels."""
