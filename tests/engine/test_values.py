from lexsync.resources.values import clock, number, scalar_text, wire_clock


def test_clock_round_trips_and_converts_utc_to_pacific() -> None:
    assert clock(wire_clock("08:30")) == "08:30"
    assert clock(wire_clock("24:00")) == "24:00"
    # 16:00 UTC on a winter day is 08:00 in Pacific Standard Time.
    assert clock("2020-01-15T16:00:00Z") == "08:00"


def test_number_keeps_every_digit() -> None:
    assert number("25.00") == 25 and isinstance(number("25.00"), int)
    assert number(19.75) == 19.75
    assert number(0.123456) == 0.123456  # once rounded to 0.1235 (issue 21, row 4)


def test_scalar_text_keeps_text_as_written_and_spells_numbers_exactly() -> None:
    # Text stays text, leading zeros, trailing zeros and spaces included (issue 21, row 1).
    assert [scalar_text(v) for v in ("02134", "1.50", " 65 ", "CA")] == ["02134", "1.50", " 65 ", "CA"]
    assert scalar_text(65) == "65" and scalar_text(65.0) == "65.0"
    assert scalar_text(21.123456) == "21.123456" and scalar_text(2 ** 60 + 1) == "1152921504606846977"
    assert scalar_text(True) == "true"
