"""The fast ISO 8601 reader gives what msrest's own reader gives, value and offset, for every input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msrest.exceptions import DeserializationError
from msrest.serialization import Deserializer

from azure.communication.identity._wire_datetime import deserialize_iso

SERVICE_FORMS = [
    "2021-01-29T18:19:30.8206627+00:00",  # what the service sends: 7 fractional digits
    "2021-01-29T18:19:30Z",
    "2021-01-29T18:19:30.5Z",
    "2021-01-29T18:19:30.123456789-05:30",
    "2024-02-29T23:59:59.999999+14:00",
    "0002-01-01T00:00:00Z",
    "9998-12-31T23:59:59-00:00",
]
ODD_FORMS = [
    "2021-01-29T24:00:00Z", "2021-02-30T00:00:00Z", "2021-01-29T18:19:60Z", "2021-01-29t18:19:30z",
    "2021-01-29T18:19:30", "2021-01-29 18:19:30Z", "2021-01-29T18:19:30+24:00", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "20210129T181930Z", "yesterday", "",
]


def _same(value: datetime, expected: datetime) -> None:
    assert value == expected
    assert value.utcoffset() == expected.utcoffset()
    assert value.replace(tzinfo=None) == expected.replace(tzinfo=None)


@pytest.mark.parametrize("text", SERVICE_FORMS + ODD_FORMS)
def test_every_input_reads_as_msrest_reads_it(text):
    try:
        expected = Deserializer.deserialize_iso(text)
    except DeserializationError:
        with pytest.raises(DeserializationError):
            deserialize_iso(text)
    else:
        _same(deserialize_iso(text), expected)


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
       st.integers(min_value=-14 * 60, max_value=14 * 60), st.integers(min_value=0, max_value=9),
       st.booleans())
def test_generated_service_forms(moment, offset_minutes, digits, zulu):
    fraction = f"{moment.microsecond:06d}{moment.microsecond % 10}"[:digits]
    sign = "-" if offset_minutes < 0 else "+"
    offset = "Z" if zulu else f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}" + (f".{fraction}" if digits else "") + offset
    _same(deserialize_iso(text), Deserializer.deserialize_iso(text))


def test_the_result_is_timezone_aware_utc_for_the_service_form():
    value = deserialize_iso("2021-01-29T18:19:30.8206627+00:00")
    assert value == datetime(2021, 1, 29, 18, 19, 30, 820662, tzinfo=timezone.utc)
    assert value.utcoffset() == timedelta(0)
