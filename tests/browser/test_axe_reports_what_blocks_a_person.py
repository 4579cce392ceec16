"""The axe check the accessibility tests rely on finds what it must (so that a clean walk
means something): an unnamed input is reported with its rule, impact and selector, and a
named one is not."""

from __future__ import annotations

import pytest

from tests.browser.axe import serious_violations

pytestmark = pytest.mark.browser

PAGE = '<!DOCTYPE html><html lang="en"><title>Form</title><main><h1>Form</h1>{}</main></html>'


def test_an_unlabelled_input_is_a_critical_violation_with_its_selector(open_page):
    page = open_page()
    page.set_content(PAGE.format('<input id="code" name="code">'))

    assert serious_violations(page, "form") == [
        "form [critical] label: Form elements must have labels — #code"
    ]


def test_a_labelled_input_passes(open_page):
    page = open_page()
    page.set_content(PAGE.format('<label for="code">Code</label><input id="code" name="code">'))

    assert serious_violations(page, "form") == []
