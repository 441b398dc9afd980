"""Google Batch Mode through the real google-genai client, against the local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from promptforge import (
    BackendError,
    BatchJob,
    GenerationResult,
    InvalidRequestError,
    Pipeline,
    RateLimitedError,
)
from promptforge.batchmode import _limits, _record
from promptforge.batchmode._limits import Limit
from promptforge.generators import GeminiImageGenerator
from promptforge.testing import FakeEnhancer, FakeGenerator, instant_retries

from .batch_server import BatchService, image_answer, item_error
from .conftest import API_KEY

if TYPE_CHECKING:
    from google.genai import Client

    from .server import GoogleServer

MODEL = "gemini-nano-banana-2.1"


class Killed(Exception):
    """Stands for the process being stopped."""


@pytest.fixture
def service(server: GoogleServer) -> BatchService:
    return BatchService(server)


def pipe(client: Client, model: str = MODEL, enhancer: FakeEnhancer | None = None) -> Pipeline:
    generator = GeminiImageGenerator(model=model, client=client)
    return Pipeline(enhancer or FakeEnhancer(), generator)


def prompts(count: int) -> list[str]:
    return [f"corgi number {number}" for number in range(count)]


def folders(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def test_a_50_item_job_is_submitted_followed_and_collected(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(50), out_dir=out, aspect_ratio="16:9", seed=3)
    assert job.name == "batches/job1"
    assert job.state == "pending"
    (create,) = server.calls("batchGenerateContent")
    sent = create.body["batch"]["inputConfig"]["requests"]["requests"]
    assert len(sent) == 50  # inline: a small job
    keys = [entry["metadata"]["key"] for entry in sent]
    assert keys == [item.key(0) for item in job.record.items]
    assert sent[0]["request"]["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}
    assert sent[0]["request"]["generationConfig"]["seed"] == 3
    assert create.body["batch"]["displayName"] == job.record.display_name
    assert server.calls("generateContent") == []  # no image was made one by one

    polls: list[str] = []
    with instant_retries() as waits:
        state = job.wait(poll=10, on_poll=lambda j: polls.append(j.state))
    assert state == "succeeded"
    assert polls == ["running", "succeeded"]
    assert waits == [10.0]

    results = job.collect()
    assert [r.index for r in results] == list(range(50))
    assert all(r.ok for r in results)
    first = results[0]
    assert first.request is not None
    assert first.request.prompt == "corgi number 0"
    assert (first.images[0].width, first.images[0].height) == (64, 36)
    assert first.images[0].metadata == {"note": "Here is your image."}
    assert first.stages["generate"].backend == "GeminiImageGenerator"
    assert first.stages["generate"].model == MODEL
    assert first.stages["generate"].batch is True
    assert first.stages["enhance"].backend == "FakeEnhancer"
    assert len(folders(out)) == 50
    assert GenerationResult.load(out / first.id) == first
    assert job.collected
    for file in out.rglob("*"):
        if file.is_file():
            assert API_KEY.encode() not in file.read_bytes(), file

    # the same layout and resume keys as run_many: a live run on the folder makes nothing
    again = pipe(api_client).run_many(prompts(50), out_dir=out, aspect_ratio="16:9", seed=3)
    assert all(r.resumed for r in again)
    assert server.calls("generateContent") == []


def test_a_large_job_goes_as_an_uploaded_file_and_its_answers_stream_from_disk(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(60), out_dir=out, n=2)
    assert job.record.source == "file"
    assert job.record.requests == 120  # one request per image
    assert [r.method for r in server.requests] == [
        "uploadStart", "uploadChunk", "batchGenerateContent",
    ]  # fmt: skip
    (create,) = server.calls("batchGenerateContent")
    assert create.body["batch"]["inputConfig"] == {"fileName": job.record.input_file}
    uploaded = service.files[job.record.input_file or ""].decode().splitlines()
    assert len(uploaded) == 120
    line = json.loads(uploaded[1])
    assert line["key"] == job.record.items[0].key(1)
    assert line["request"]["contents"][0]["parts"][0]["text"] == "Corgi number 0."

    with instant_retries():
        assert job.wait(poll=1) == "succeeded"
    results = job.collect(keep_images=False)
    assert len(server.calls("downloadFile")) == 1
    assert all(r.ok and len(r.images) == 2 for r in results)
    assert all(image.path and not image.data for r in results for image in r.images)
    assert len(folders(out)) == 60
    assert not (out / _record.OUTPUT_FILE).exists()  # the download is removed once collected


def test_per_item_errors_become_failed_results_not_a_failed_job(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    def answer(key: str, request: dict[str, Any]) -> dict[str, Any]:
        if key.startswith(job_ids[1]):
            return item_error(400, "Request contains an invalid argument.")
        if key.startswith(job_ids[2]):
            return item_error(429, "Resource exhausted")
        if key.startswith(job_ids[3]):
            return {"response": {"promptFeedback": {"blockReason": "SAFETY"}}}
        return image_answer(key, request)

    service.answer = answer
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(5), out_dir=out)
    job_ids = [item.id for item in job.record.items]
    with instant_retries():
        assert job.wait(poll=1) == "succeeded"
    results = job.collect()
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert results[1].error is not None
    assert (results[1].error.type, results[1].error.status) == ("BackendError", 400)
    assert results[1].error.stage == "generate"
    assert "invalid argument" in results[1].error.message
    with pytest.raises(RateLimitedError):
        results[2].raise_for_error()
    assert results[3].error is not None
    assert results[3].error.type == "ContentBlockedError"
    assert len(folders(out)) == 2  # failed items are not written: a re-run tries them again


def test_an_expired_job_reports_every_item_as_failed_and_retryable(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    service.timeline = ("RUNNING", "RUNNING", "EXPIRED")
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(3), out_dir=out)
    with instant_retries():
        assert job.wait(poll=1) == "expired"
    results = job.collect()
    assert not any(r.ok for r in results)
    error = results[0].error
    assert error is not None
    assert error.retryable
    assert "expired" in error.message
    assert job.name is not None
    assert job.name in error.message
    assert folders(out) == []


def test_a_kill_during_collect_resumes_without_duplicates(
    server: GoogleServer,
    service: BatchService,
    api_client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(80), out_dir=out)  # a file job
    with instant_retries():
        job.wait(poll=1)
    written = 0
    real_add = _record.CollectedLog.add

    def add_then_die(log: _record.CollectedLog, entry: dict[str, Any]) -> None:
        nonlocal written
        real_add(log, entry)
        written += 1
        if written == 30:
            raise Killed  # the process is stopped between two items

    monkeypatch.setattr(_record.CollectedLog, "add", add_then_die)
    with pytest.raises(Killed):
        job.collect()
    monkeypatch.setattr(_record.CollectedLog, "add", real_add)
    assert len(folders(out)) == 30
    assert not job.collected

    reopened = BatchJob.open(out, generator=GeminiImageGenerator(model=MODEL, client=api_client))
    results = reopened.collect()
    assert len(results) == 80
    assert all(r.ok for r in results)
    assert len(folders(out)) == 80  # each item once: no duplicate folders
    assert len({r.id for r in results}) == 80
    assert len(_record.collected(out)) == 80
    assert len(server.calls("downloadFile")) == 1  # the answers already on disk were reused

    before = len(server.requests)
    assert [r.id for r in reopened.collect()] == [r.id for r in results]  # a no-op
    assert len(server.requests) == before


def test_the_record_is_on_disk_before_the_job_is_created(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    seen: list[_record.JobRecord | None] = []
    route = service.route

    def spy(verb: str, path: str, headers: dict[str, str], raw: bytes) -> Any:
        if path.endswith(":batchGenerateContent"):
            seen.append(_record.read(out))
        return route(verb, path, headers, raw)

    server.hooks[:] = [spy]
    job = pipe(api_client).submit(prompts(4), out_dir=out)
    (intent,) = seen
    assert intent is not None
    assert intent.name is None  # not named yet, but every item, key and prompt is there
    assert intent.sent_at is not None
    assert [item.id for item in intent.items] == [item.id for item in job.record.items]
    assert all(item.prompt is not None for item in intent.items)
    assert _record.read(out) == job.record
    assert job.record.name == "batches/job1"


def test_a_crash_after_create_finds_the_job_by_display_name_instead_of_resending(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(3), out_dir=out)
    # as if the process died after Google created the job, before its name was recorded
    _record.write(out, job.record.model_copy(update={"name": None, "state": "pending"}))
    service.page_size = 1  # the lookup pages through batches.list
    pipe(api_client).submit(prompts(1), out_dir=tmp_path / "other")  # another job listed first
    reopened = BatchJob.open(out, generator=GeminiImageGenerator(model=MODEL, client=api_client))
    assert reopened.name is None
    reopened.refresh()
    assert reopened.name == "batches/job1"
    assert len(server.calls("batchGenerateContent")) == 2  # the two jobs, none twice
    assert _record.read(out) == reopened.record


def test_an_intent_never_sent_is_sent_on_refresh_without_a_lookup(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(2), out_dir=out)
    service.jobs.clear()
    server.requests.clear()
    _record.write(out, job.record.model_copy(update={"name": None, "sent_at": None}))
    reopened = BatchJob.open(out, generator=GeminiImageGenerator(model=MODEL, client=api_client))
    reopened.refresh()
    assert [r.method for r in server.requests] == ["batchGenerateContent"]
    assert reopened.name is not None


def test_submitting_again_continues_the_folders_job_or_is_refused(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = pipe(api_client).submit(prompts(3), out_dir=out)
    again = pipe(api_client).submit(prompts(3), out_dir=out)
    assert again.name == first.name
    assert len(server.calls("batchGenerateContent")) == 1
    with pytest.raises(InvalidRequestError, match="holds Batch Mode job batches/job1"):
        pipe(api_client).submit(prompts(4), out_dir=out)

    with instant_retries():
        first.wait(poll=1)
    first.collect()
    server.requests.clear()
    more = pipe(api_client).submit(prompts(4), out_dir=out)  # 3 done: only the new one goes
    assert [item.request.prompt for item in more.record.items if item.request] == ["corgi number 3"]
    assert (out / _record.HISTORY / f"{first.record.display_name}.json").exists()


def test_a_model_without_batch_mode_is_refused_before_any_request(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    with pytest.raises(InvalidRequestError, match="not served by Google's Batch Mode") as caught:
        pipe(api_client, model="gemini-3.1-flash-image").submit(prompts(2), out_dir=tmp_path)
    assert MODEL in caught.value.allowed
    with pytest.raises(InvalidRequestError, match="FakeGenerator cannot submit"):
        Pipeline(FakeEnhancer(), FakeGenerator()).submit(prompts(2), out_dir=tmp_path)
    assert server.requests == []
    assert not (tmp_path / _record.JOB_FILE).exists()


def test_limits_are_checked_before_anything_is_sent(
    server: GoogleServer,
    service: BatchService,
    api_client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enhancer = FakeEnhancer()
    monkeypatch.setattr(_limits, "MAX_REQUESTS", Limit(5, "test"))
    with pytest.raises(InvalidRequestError, match="6 image requests in one Batch Mode job"):
        pipe(api_client, enhancer=enhancer).submit(prompts(3), out_dir=tmp_path, n=2)
    assert enhancer.calls == []  # refused before enhancing, too
    monkeypatch.setattr(_limits, "FILE_BYTES", Limit(100, "test"))
    with pytest.raises(InvalidRequestError, match="input file would be"):
        pipe(api_client).submit(prompts(2), out_dir=tmp_path)
    assert server.requests == []


def test_cancel_stops_the_job_and_its_items_come_back_failed(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    job = pipe(api_client).submit(prompts(2), out_dir=tmp_path)
    assert job.cancel() == "cancelled"
    assert len(server.calls("cancelBatch")) == 1
    results = job.collect()
    assert [r.ok for r in results] == [False, False]
    assert results[0].error is not None
    assert "cancelled" in results[0].error.message


def test_collect_before_the_job_ends_is_refused(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    service.timeline = ("RUNNING",)
    job = pipe(api_client).submit(prompts(1), out_dir=tmp_path)
    with pytest.raises(InvalidRequestError, match="still running"):
        job.collect()


def test_an_input_that_fails_to_enhance_is_not_sent_and_comes_back_failed(
    server: GoogleServer, service: BatchService, api_client: Client, tmp_path: Path
) -> None:
    enhancer = FakeEnhancer([BackendError("enhancer down", status=400)])
    job = pipe(api_client, enhancer=enhancer).submit(["first", "second"], out_dir=tmp_path)
    (create,) = server.calls("batchGenerateContent")
    assert len(create.body["batch"]["inputConfig"]["requests"]["requests"]) == 1
    assert job.counts()["failed_before_submit"] == 1
    with instant_retries():
        job.wait(poll=1)
    results = job.collect()
    assert results[0].error is not None
    assert (results[0].error.stage, results[0].ok, results[1].ok) == ("enhance", False, True)


def test_open_without_a_job_says_how_to_submit(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="no Batch Mode job is recorded there"):
        BatchJob.open(tmp_path)


def test_collected_results_cost_the_batch_price(
    server: GoogleServer,
    service: BatchService,
    api_client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prices = tmp_path / "models.json"
    prices.write_text(
        json.dumps(
            {
                "sources": {
                    "pricing": {"title": "pricing page (test figures)", "date": "2026-11-28"}
                },
                "models": {
                    MODEL: {
                        "price": {
                            "per_image": 0.04,
                            "input_per_mtok": 1.0,
                            "output_per_mtok": 2.0,
                            "batch_discount": 0.5,
                        },
                        "cite": {"price": "pricing"},
                    }
                },
            }
        )
    )
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(prices))
    out = tmp_path / "out"
    job = pipe(api_client).submit(prompts(2), out_dir=out, n=2)
    with instant_retries():
        job.wait(poll=1)
    results = job.collect()
    cost = results[0].cost
    assert cost is not None
    list_price = 2 * 0.04 + (2 * 120 * 1.0 + 2 * 80 * 2.0) / 1e6  # two images and their tokens
    assert cost.stages["generate"] == pytest.approx(list_price * 0.5)  # at half price
    assert results[0].usage["generate"].images == {"default": 2}
    assert GenerationResult.load(out / results[0].id).cost == cost

    server.default("generateContent", image_answer_reply)
    live = pipe(api_client).run("a live corgi", n=2)
    assert live.cost is not None
    assert live.cost.stages["generate"] == pytest.approx(list_price)


def image_answer_reply(request: Any) -> Any:
    from .server import gemini_image_for_request

    return gemini_image_for_request(request)
