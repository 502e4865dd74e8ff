"""The health rules: states, sentences and the derived gradient comparison, on hand-made records."""

import math

from netbuilder.core.check.health import PROBLEM, RULES, WATCH, derive, judge, show, states


def healthy() -> dict:
    return {
        "conv1": {"params": 1000.0, "grad_norm": 0.5, "update_ratio": 1e-3, "mean": 0.0, "std": 0.8},
        "relu1": {"mean": 0.3, "std": 0.5, "dead": 0.02},
        "fc1": {"params": 10000.0, "grad_norm": 1.0, "update_ratio": 2e-3, "mean": 0.1, "std": 1.2},
    }


def test_every_rule_has_a_sentence_and_ordered_thresholds():
    for rule in RULES:
        assert "{block}" in rule.sentence and " — " in rule.sentence
        assert rule.problem >= rule.watch if rule.above else rule.problem <= rule.watch


def test_a_healthy_record_trips_nothing():
    assert judge(healthy(), 100, step=1000) == []


def test_the_issue_s_sentences():
    record = healthy()
    record["relu1"]["dead"] = 0.71
    record["fc1"]["update_ratio"] = 0.03
    record["conv1"]["grad_norm"] = 1e-6 * math.sqrt(1000) / math.sqrt(10000)  # per weight: 1e-6 of fc1's
    found = {f.rule: f for f in judge(record, 200, step=1000)}
    assert found["dying ReLU"].sentence == (
        "relu1: 71% of its ReLU outputs have been zero for the last 200 steps (dying ReLU) — lower the learning "
        "rate or try LeakyReLU"
    )
    assert found["dying ReLU"].state == PROBLEM
    assert found["updates too large"].sentence == (
        "fc1: updates are 3.0% of the weights per step (healthy is about 0.1%) — lower the learning rate"
    )
    assert found["updates too large"].state == WATCH
    assert found["vanishing gradient"].sentence.startswith("conv1's gradient per weight is 10⁻⁶ times fc1's")
    assert states(list(found.values())) == {"relu1": PROBLEM, "fc1": WATCH, "conv1": PROBLEM}


def test_update_rules_wait_for_the_optimizer_to_settle_and_small_updates_for_the_peak_rate():
    record = healthy()
    record["fc1"]["update_ratio"] = 0.5
    assert judge(record, 10, step=10) == []
    record["fc1"]["update_ratio"] = 1e-8
    assert [f.rule for f in judge(record, 100, lr=1.0, peak_lr=1.0, step=500)] == ["updates too small"]
    assert judge(record, 100, lr=0.01, peak_lr=1.0, step=500) == []  # the end of a schedule


def test_not_finite_numbers_are_a_problem_and_are_not_compared_otherwise():
    record = healthy()
    record["fc1"]["grad_norm"] = math.nan
    found = judge(record, 100, step=1000)
    assert [(f.block, f.rule, f.state) for f in found] == [("fc1", "not finite", PROBLEM)]


def test_gradients_compare_per_weight_with_the_largest_block_after():
    derived = derive(healthy())
    assert "grad_relative" not in derived["fc1"]  # nothing after it
    assert derived["conv1"]["reference"] == "fc1"
    assert derived["conv1"]["grad_relative"] == (0.5 / math.sqrt(1000)) / (1.0 / math.sqrt(10000))
    assert show("grad_relative", 1e-6) == "10⁻⁶ times" and show("dead", 0.5) == "50%"


def test_a_block_with_no_gradient_at_all_is_told_so_not_compared():
    record = healthy()
    record["conv1"]["grad_norm"] = 0.0
    found = judge(record, 100, step=1000)
    assert [(f.block, f.rule, f.state) for f in found] == [("conv1", "no gradient", PROBLEM)]
    assert found[0].sentence.startswith("conv1: it gets no gradient at all")
