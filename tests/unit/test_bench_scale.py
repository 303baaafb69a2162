"""bench/scale.py's arithmetic and report (pure: no processes)."""
from bench.scale import predict, render


def test_prediction_takes_the_tightest_limit():
    cpu = {"rasa1": 10.0, "rasa2": 10.0, "bot": 5.0, "actions": 2.0, "postgresql": 3.0}
    # 2 cores: all cores busy → 2000 / 30 = 66.7 msg/s; two Rasa processes alone could do 100.
    two = predict(cpu, rasa_processes=2, cores=2)
    assert two["messages_per_second"] == 66.7 and two["limited_by"] == "all cores busy"
    # 8 cores, 6 Rasa processes: the cores allow 266.7, Rasa 300, the one bot service 200.
    eight = predict(cpu, rasa_processes=6, cores=8)
    assert eight["messages_per_second"] == 200.0 and eight["limited_by"] == "one bot service (one core)"


def test_report_renders_both_runs_and_a_skip():
    level = {"concurrency": 10, "pause_s": None, "answered_per_second_in_window": 40.0, "errors": 0, "degraded": 0,
             "load_average_after": [2.0, 2.0, 2.0], "first_reply_ms": {"p50": 100, "p95": 200, "p99": 300},
             "message_ms": {"p50": 90, "p95": 190}, "cpu_ms_per_message": {"rasa1": 10.0, "bot": 5.0}}
    run = {"closed_loop": [level], "paced": [], "idle_rss_mb": {"rasa1": 1300, "bot": 60}}
    result = {"date": "2026-11-30", "cores": 2, "load_average_before": [1, 1, 1], "load_average_after": [2, 2, 2],
              "runs": {"1": run, "2": run}, "predictions": [predict({"rasa1": 10.0, "bot": 5.0}, 1, 2)]}
    text = render(result)
    assert text.count("| 10 | none | 40.0 |") == 2 and "rasa1 1300" in text
    assert "Not measured: no nginx" in render({"skipped": "no nginx"})
