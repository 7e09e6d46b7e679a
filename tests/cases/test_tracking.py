from datetime import datetime

import pytest

from minsheng.cases.tracking import (
    InvalidTrackingNumber,
    hash_query_code,
    new_query_code,
    new_tracking_number,
    parse_tracking_number,
    query_code_matches,
)


def test_numbers_carry_the_date_and_a_valid_check_character():
    number = new_tracking_number(datetime(2026, 11, 23, 9, 30))
    assert number.startswith("261123-")
    assert len(number) == 14
    assert parse_tracking_number(number) == number


def test_what_a_citizen_types_is_normalised():
    number = new_tracking_number(datetime(2026, 11, 23))
    typed = " " + number.replace("-", "").lower() + " "
    assert parse_tracking_number(typed) == number


def test_one_wrong_character_is_caught_by_the_check():
    number = new_tracking_number(datetime(2026, 11, 23))
    body, check = number[:-1], number[-1]
    wrong = "0" if check != "0" else "1"
    with pytest.raises(InvalidTrackingNumber):
        parse_tracking_number(body + wrong)


@pytest.mark.parametrize("text", ["", "abc", "261123-ABCDE", "2611231234567890", "<script>", None])
def test_garbage_is_refused(text):
    with pytest.raises(InvalidTrackingNumber):
        parse_tracking_number(text)


def test_query_codes_are_six_digits_and_only_their_digest_is_compared():
    code = new_query_code()
    assert code.isdigit() and len(code) == 6
    digest = hash_query_code(code, key=b"k")
    assert code not in digest
    assert query_code_matches(code, digest, key=b"k")
    assert not query_code_matches(code, digest, key=b"other")
    assert not query_code_matches("000000" if code != "000000" else "111111", digest, key=b"k")
    assert not query_code_matches(code, None, key=b"k")
