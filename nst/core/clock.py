"""The run's bookkeeping: its timings, time left, deadline, when to report, and the records it hands out.

Time left comes from the one step-cost model (`nst.plan.cost`): the work still
planned, at the seconds per unit of work this run has measured so far. The
first step of each stage is left out of that rate: it pays one-off set-up
(kernel selection, allocations) that the stage's other steps do not.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

import numpy as np

from ..networks.device import Compute
from ..plan.cost import plan_work, step_work
from ..plan.progress import Progress
from ..plan.schedule import Stage
from ..settings import Settings
from .canvas import Snapshot


class Clock:
    """Timings of one run, from the moment `stylize` was called."""

    def __init__(
        self, settings: Settings, plan: list[Stage], started: float, now: Callable[[], float] = time.perf_counter
    ) -> None:
        self.settings = settings
        self.now = now
        self.plan = plan
        self.started = started
        self.total_steps = sum(stage.steps for stage in plan)
        self.step = 0  # steps taken
        self.setup_seconds = 0.0
        self.optimising_seconds = 0.0
        self.work_left = plan_work(plan)
        self.timed_work = 0.0  # work and seconds of every step but each stage's first
        self.timed_seconds = 0.0
        self.first_rate = 0.0  # seconds per unit of work of the latest stage's first step
        self.step_started = started
        self.steps_in_stage = 0
        self.stopped_by_deadline = False

    def set_up(self) -> None:
        """The run's first picture is made: what came before is set-up."""
        self.setup_seconds = self.now() - self.started

    def begin_stage(self) -> None:
        self.steps_in_stage = 0

    def begin_step(self) -> None:
        self.step_started = self.now()

    def end_step(self, stage: Stage) -> None:
        """A step of `stage` is done: count it, time it, and see whether the deadline has come."""
        now = self.now()
        seconds, work = now - self.step_started, step_work(stage)
        self.step += 1
        self.steps_in_stage += 1
        self.optimising_seconds += seconds
        self.work_left -= work
        if self.steps_in_stage == 1:
            self.first_rate = seconds / work
        else:
            self.timed_work += work
            self.timed_seconds += seconds
        deadline = self.settings.deadline
        self.stopped_by_deadline = deadline is not None and now - self.started > deadline

    def report_due(self) -> bool:
        """Every `yield_every` steps and after the first (whoever watches sees a picture at once), not the last."""
        return (self.step % self.settings.yield_every == 0 or self.step == 1) and self.step < self.total_steps

    @property
    def rate(self) -> float:
        """Seconds per unit of work measured so far (each stage's first step only while there is nothing else)."""
        return self.timed_seconds / self.timed_work if self.timed_work > 0 else self.first_rate

    def seconds_left(self) -> float:
        """The work still planned at the seconds per unit of work measured so far."""
        return max(0.0, self.work_left) * self.rate

    @property
    def steps_per_second(self) -> float:
        return self.step / self.optimising_seconds if self.optimising_seconds > 0 else 0.0


class Records:
    """The records a run hands out; when it ends, each one still held gets its picture made."""

    def __init__(self, clock: Clock, compute: Compute) -> None:
        self.clock = clock
        self.compute = compute
        self.handed_out: weakref.WeakSet[Progress] = weakref.WeakSet()

    def make(
        self,
        stage_index: int,
        picture: np.ndarray | Snapshot,
        losses: dict[str, float],
        done: bool = False,
        stop_reason: str = "",
    ) -> Progress:
        clock = self.clock
        progress = Progress(
            step=clock.step,
            total_steps=clock.total_steps,
            scale=stage_index + 1,
            scales=len(clock.plan),
            size=clock.plan[stage_index].size,
            picture=picture,
            losses=dict(losses),
            elapsed=clock.now() - clock.started,
            setup_seconds=clock.setup_seconds,
            iterations_per_second=clock.steps_per_second,
            seconds_left=0.0 if done else clock.seconds_left(),
            device=str(self.compute.device),
            precision=self.compute.precision,
            done=done,
            stop_reason=stop_reason,
        )
        self.handed_out.add(progress)
        return progress

    def settle(self) -> None:
        """Make every record still held keep its picture, not the means to make it: the run is ending."""
        for progress in list(self.handed_out):
            progress.settle()
