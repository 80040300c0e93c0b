"""A NUL character in any request body is a 400, whatever its encoding: PostgreSQL refuses NUL in
text, so a field that looks a value up before a validator sees it (a list's code) failed the whole
request with a 500. JSON and form bodies were guarded; a multipart body was not (found by the
schema fuzz on PostgreSQL: a verification's flags sent as multipart)."""

from __future__ import annotations

import io

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.exceptions import ParseError
from rest_framework.test import APIRequestFactory

from project.json_parser import NoNulMultiPartParser


def _parse(data: dict) -> object:
    body = encode_multipart(BOUNDARY, data)
    request = APIRequestFactory().post("/", data=body, content_type=MULTIPART_CONTENT)
    context = {"request": request, "encoding": "utf-8"}
    return NoNulMultiPartParser().parse(
        io.BytesIO(body), MULTIPART_CONTENT, {**context, "view": None}
    )


def test_a_multipart_value_with_a_nul_is_refused() -> None:
    with pytest.raises(ParseError):
        _parse({"flags": ["high_risk", "inter\x00preter"]})


def test_a_multipart_body_without_nul_is_read() -> None:
    parsed = _parse({"flags": ["high_risk"], "reason": "Made-up reason"})
    assert parsed.data.getlist("flags") == ["high_risk"]
