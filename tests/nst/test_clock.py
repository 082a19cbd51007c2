"""The run's clock and the step-cost model: time left, deadline and report cadence, on a clock the test turns."""

from __future__ import annotations

import pytest

from nst import Settings
from nst.core.clock import Clock
from nst.plan.cost import STAGE_COST, plan_work, step_work
from nst.plan.schedule import SHAPES, TEXTURE, WHOLE, Stage, plan_stages


class Hands:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.time = 100.0

    def __call__(self) -> float:
        return self.time


PLAN = [Stage((128, 96), 8, WHOLE), Stage((256, 192), 4, WHOLE), Stage((512, 384), 3, TEXTURE),
        Stage((512, 384), 5, SHAPES)]


def run_steps(clock: Clock, hands: Hands, plan: list[Stage], seconds_per_work: float, first_extra: float = 0.0):
    """Walk the clock through `plan` with each step costing its work at `seconds_per_work`; time left after each."""
    left = []
    for stage in plan:
        clock.begin_stage()
        for index in range(stage.steps):
            clock.begin_step()
            hands.time += step_work(stage) * seconds_per_work + (first_extra if index == 0 else 0.0)
            clock.end_step(stage)
            left.append(clock.seconds_left())
    return left


def test_a_step_costs_its_pixels_times_how_deep_its_stage_runs():
    assert step_work(Stage((1000, 1000), 1, WHOLE)) == pytest.approx(1.0)
    assert step_work(Stage((1000, 1000), 1, TEXTURE)) < step_work(Stage((1000, 1000), 1, SHAPES)) < 1.0
    by_hand = sum(s.steps * s.size[0] * s.size[1] * STAGE_COST[s.kind] for s in PLAN) / 1e6
    assert plan_work(PLAN) == pytest.approx(by_hand)


def test_time_left_is_exact_when_steps_cost_what_the_model_says():
    hands = Hands()
    clock = Clock(Settings(), PLAN, hands.time, now=hands)
    rate = 3.0
    left = run_steps(clock, hands, PLAN, rate)
    done = 0.0
    for stage_index, stage in enumerate(PLAN):
        for step in range(stage.steps):
            done += step_work(stage)
            expected = (plan_work(PLAN) - done) * rate
            assert left[sum(s.steps for s in PLAN[:stage_index]) + step] == pytest.approx(expected, abs=1e-9)
    assert left[-1] == pytest.approx(0.0, abs=1e-9)


def test_time_left_only_falls_when_each_stages_first_step_pays_set_up():
    """The first step of each stage costs extra (kernel selection): the estimate leaves it out and never jumps up."""
    hands = Hands()
    plan = plan_stages(Settings(size=1024), (1024, 768))
    clock = Clock(Settings(size=1024), plan, hands.time, now=hands)
    left = run_steps(clock, hands, plan, 2.0, first_extra=0.5)
    assert all(later <= earlier + 1e-9 for earlier, later in zip(left, left[1:], strict=False))


def test_the_deadline_and_the_report_cadence():
    hands = Hands()
    clock = Clock(Settings(deadline=1.0, yield_every=5), PLAN, hands.time, now=hands)
    reports = []
    for _ in range(12):
        clock.begin_step()
        hands.time += 0.05
        clock.end_step(PLAN[0])
        reports.append(clock.report_due())
    assert [i + 1 for i, due in enumerate(reports) if due] == [1, 5, 10] and not clock.stopped_by_deadline
    hands.time += 1.0
    clock.begin_step()
    clock.end_step(PLAN[0])
    assert clock.stopped_by_deadline and clock.steps_per_second > 0
