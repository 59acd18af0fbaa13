"""Bounded HTTP calls to an FI: one timeout, no redirect followed, answers capped in size,
httpx's exceptions translated into ours at this boundary."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from idp import metrics
from idp.federation.errors import ProviderBadAnswer, ProviderTimeout, ProviderUnreachable

MAX_ANSWER_BYTES = 1024 * 1024  # a discovery document, a key set or a token is a few kB


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str  # media type only, lower case, no parameters
    body: bytes

    def json_object(self, what: str) -> dict[str, Any]:
        try:
            value = json.loads(self.body)
        except ValueError:
            raise ProviderBadAnswer(f"{what}: not JSON") from None
        if not isinstance(value, dict):
            raise ProviderBadAnswer(f"{what}: not a JSON object")
        return value


class Transport:
    """One httpx client per UpstreamClient (its connection pool is shared by the threads)."""

    def __init__(self, timeout: float) -> None:
        # trust_env: an outbound proxy (HTTPS_PROXY, NO_PROXY) applies, as in FC's stacks.
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                    headers={"Accept": "application/json"})

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, what: str, headers: Mapping[str, str] | None = None, *,
            fi: str = "") -> Answer:
        return self._send("GET", url, what, headers=headers, fi=fi)

    def post_form(self, url: str, what: str, form: Mapping[str, str],
                  headers: Mapping[str, str] | None = None, *, fi: str = "") -> Answer:
        return self._send("POST", url, what, headers=headers, form=form, fi=fi)

    def _send(self, method: str, url: str, what: str, *, headers: Mapping[str, str] | None,
              form: Mapping[str, str] | None = None, fi: str = "") -> Answer:
        """The FI's answer; counted per FI and call (idp/metrics.py), a failure being no
        usable HTTP answer: timeout, network, protocol error, 5xx, redirect."""
        failed = True
        try:
            answer = self._exchange(method, url, what, headers, form)
            failed = False
            return answer
        finally:
            metrics.fi_call(fi or "unknown", what, failed)

    def _exchange(self, method: str, url: str, what: str, headers: Mapping[str, str] | None,
                  form: Mapping[str, str] | None) -> Answer:
        try:
            request = self._client.build_request(method, url, headers=headers, data=form)
            response = self._client.send(request, stream=True)
            try:
                body = self._read_bounded(response, what)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise ProviderTimeout(f"{what}: no answer in time") from None
        except httpx.NetworkError as exc:
            raise ProviderUnreachable(f"{what}: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:  # protocol errors, bad URL: the FI's answer is unusable
            raise ProviderBadAnswer(f"{what}: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 500:
            raise ProviderBadAnswer(f"{what}: HTTP {status}")
        if 300 <= status < 400:
            raise ProviderBadAnswer(f"{what}: HTTP {status} (redirects are not followed)")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Answer(status, media, body)

    @staticmethod
    def _read_bounded(response: httpx.Response, what: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
            raise ProviderBadAnswer(f"{what}: answer larger than {MAX_ANSWER_BYTES} bytes")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise ProviderBadAnswer(f"{what}: answer larger than {MAX_ANSWER_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
