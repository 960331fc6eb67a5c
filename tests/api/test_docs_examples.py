"""docs/api.md stays true: its create_staff command prints the token the curl examples then
use; every curl example runs, as written, against a live gunicorn with seeded data, and
answers what the text says; the filter tables name exactly the filters the API has.

An example is a ```sh block containing curl, preceded by ``<!-- example: NAME -->``. It must
answer 2xx with JSON, or the status named by a ``# → NNN`` line in the block. A ```json block
right after it shows the answer: its keys must be in the real answer (the values of data
vary), and for an error example it must be the real answer exactly. CHECKS holds each
example's own assertions; an example without checks, or checks without an example, fail.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from api import filtersets
from talent.access import mask_id_number, mask_phone
from talent.models import Person, Post, StaffAccount
from tests.api.conftest import COUNTY_A
from tests.api.processes import PROJECT_DIR, subprocess_env

pytest_plugins = ["tests.api.live"]
pytestmark = pytest.mark.slow

DOC = PROJECT_DIR / "docs" / "api.md"
USERNAME = "zhangsan"  # the account the walk-through creates
PASSWORD = "示例口令 sample pass phrase"


# --- Reading the document ------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    name: str | None
    code: str
    line: int
    status: int | None  # from a "# → NNN" line; None: any 2xx
    shown: Any  # the JSON block shown after it, or None


FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
NAME = re.compile(r"<!--\s*example:\s*([\w-]+)\s*-->\s*$")


def _blocks(text: str) -> list[tuple[str, str, int, int, str]]:
    """(language, code, start offset, end offset, text before it) of each fenced block."""
    blocks = []
    previous_end = 0
    for match in FENCE.finditer(text):
        blocks.append((match.group(1), match.group(2), match.start(), match.end(), text[previous_end : match.start()]))
        previous_end = match.end()
    return blocks


def read_examples(text: str) -> list[Example]:
    blocks = _blocks(text)
    examples = []
    for index, (language, code, start, _, before) in enumerate(blocks):
        if language != "sh" or "curl " not in code:
            continue
        name = NAME.search(before.rstrip("\n"))
        status = re.search(r"^#\s*→\s*(\d{3})\b", code, re.MULTILINE)
        shown = None
        if index + 1 < len(blocks):
            next_language, next_code, _, _, between = blocks[index + 1]
            if next_language == "json" and not between.strip():
                shown = json.loads(next_code)
        examples.append(
            Example(
                name=name.group(1) if name else None,
                code=code,
                line=text.count("\n", 0, start) + 1,
                status=int(status.group(1)) if status else None,
                shown=shown,
            )
        )
    return examples


def examples_by_name() -> dict[str, Example]:
    return {example.name: example for example in read_examples(DOC.read_text()) if example.name}


# --- Running an example --------------------------------------------------------------------


@dataclass
class Context:
    base: str
    token: str
    world: dict

    @property
    def env(self) -> dict[str, str]:
        return {
            "BASE": self.base,
            "TOKEN": self.token,
            "PASSWORD": PASSWORD,
            "PERSON_ID": str(self.world["a"].person.pk),
            "OUTSIDE_PERSON_ID": str(self.world["b"].person.pk),
        }


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: Any


def run_curl(code: str, env: dict[str, str], tmp_path: Path) -> Answer:
    """Run a block in bash as written, with curl noting the response headers aside."""
    headers = tmp_path / "headers.txt"
    script = f'set -eu\ncurl() {{ command curl --dump-header "{headers}" "$@"; }}\n{code}'
    result = subprocess.run(
        ["bash", "-c", script], env=subprocess_env(**env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}"
    lines = headers.read_text().splitlines()
    status = int([line for line in lines if line.startswith("HTTP/")][-1].split()[1])
    content_type = next(
        (line.split(":", 1)[1].strip() for line in reversed(lines) if line.lower().startswith("content-type:")), ""
    )
    assert content_type.startswith("application/json"), (status, content_type, result.stdout[:500])
    return Answer(status=status, content_type=content_type, body=json.loads(result.stdout))


def keys_shown_exist(shown: Any, actual: Any, path: str = "$") -> None:
    """Every key the document shows is in the real answer, at the same place."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in shown.items():
            assert key in actual, f"{path}.{key} shown in the docs is not in the answer"
            keys_shown_exist(value, actual[key], f"{path}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        if shown:
            assert actual, f"{path}: the docs show items, the answer has none"
        for i, item in enumerate(shown):
            if isinstance(item, dict | list):
                errors = []
                for candidate in actual:
                    try:
                        keys_shown_exist(item, candidate, f"{path}[{i}]")
                        break
                    except AssertionError as exc:
                        errors.append(str(exc))
                else:
                    raise AssertionError(f"{path}[{i}] matches no item of the answer: {errors[:3]}")


def follow(url: str, token: str) -> list[dict]:
    """Results of every page from ``url`` on, following ``next``."""
    results = []
    while url:
        output = subprocess.run(
            ["curl", "-s", url, "-H", f"Authorization: Token {token}"], capture_output=True, text=True, timeout=30
        )
        page = json.loads(output.stdout)
        results += page["results"]
        url = page["next"]
    return results


# --- What each example must answer -----------------------------------------------------------


def check_token(answer: Answer, ctx: Context) -> None:
    assert answer.body == {"token": ctx.token}


def check_people_within(answer: Answer, ctx: Context) -> None:
    graduate = ctx.world["a"].person
    assert [person["id"] for person in answer.body["results"]] == [graduate.pk]
    [person] = answer.body["results"]
    assert "graduate_official" in person["groups"]
    # zhangsan has no personal-data right: masked.
    assert person["id_number"] == mask_id_number(graduate.id_number) != graduate.id_number
    assert person["phone"] == mask_phone(graduate.phone)
    assert person["current_posts"][0]["village"]["code"] == "430104100201"


def check_person_read(answer: Answer, ctx: Context) -> None:
    person = ctx.world["a"].person
    assert answer.body["id"] == person.pk
    assert answer.body["name"] == person.name
    assert answer.body["id_number"] == mask_id_number(person.id_number)
    assert answer.body["graduate_official"]["batch_year"] == person.graduate_official.batch_year
    assert answer.body["returnee"] is None


def check_post_create(answer: Answer, ctx: Context) -> None:
    assert answer.status == 201
    post = Post.objects.get(pk=answer.body["id"])
    assert (post.person_id, post.village_id, post.role, post.start.isoformat(), post.end) == (
        ctx.world["a"].person.pk,
        "430104100201",
        "committee_member",
        "2021-01-04",
        None,
    )
    assert answer.body["role_class"] == post.role_class == "member"


def check_person_history(answer: Answer, ctx: Context) -> None:
    person = ctx.world["a"].person
    first = answer.body[0]
    assert first["id"].startswith("person-") and first["action"] == "insert"
    changes = {change["field"]: change["after"] for event in answer.body for change in event["changes"]}
    assert changes["name"] == person.name
    assert changes["id_number"] == mask_id_number(person.id_number)  # masked in history too
    assert changes["graduate_official.batch_year"] == person.graduate_official.batch_year


def check_page_numbers(answer: Answer, ctx: Context) -> None:
    assert len(answer.body["results"]) == 1 and answer.body["previous"] is None
    assert answer.body["next"].startswith(f"{ctx.base}/api/v1/people/?") and "page=2" in answer.body["next"]
    everyone = answer.body["results"] + follow(answer.body["next"], ctx.token)
    assert sorted(p["id"] for p in everyone) == sorted([ctx.world["a"].person.pk, ctx.world["a"].other.pk])


def check_page_cursor(answer: Answer, ctx: Context) -> None:
    assert len(answer.body["results"]) == 1 and "cursor=" in answer.body["next"]
    everyone = answer.body["results"] + follow(answer.body["next"], ctx.token)
    assert sorted(p["id"] for p in everyone) == sorted([ctx.world["a"].person.pk, ctx.world["a"].other.pk])


def check_error_validation(answer: Answer, ctx: Context) -> None:
    assert answer.body["type"] == "validation_error"
    assert [error["attr"] for error in answer.body["errors"]] == ["within"]


def check_error_unauthenticated(answer: Answer, ctx: Context) -> None:
    assert answer.body["errors"][0]["code"] == "not_authenticated"


def check_outside_jurisdiction(answer: Answer, ctx: Context) -> None:
    # The person exists; for this account it does not.
    assert Person.objects.filter(pk=ctx.world["b"].person.pk).exists()
    assert answer.body["errors"][0]["code"] == "not_found"


CHECKS = {
    "token-by-password": check_token,
    "people-within": check_people_within,
    "person-read": check_person_read,
    "post-create": check_post_create,
    "person-history": check_person_history,
    "page-numbers": check_page_numbers,
    "page-cursor": check_page_cursor,
    "error-validation": check_error_validation,
    "error-unauthenticated": check_error_unauthenticated,
    "outside-jurisdiction": check_outside_jurisdiction,
}


# --- Tests ---------------------------------------------------------------------------------


def test_every_curl_example_is_named_and_checked():
    examples = read_examples(DOC.read_text())
    unnamed = [example.line for example in examples if example.name is None]
    assert not unnamed, f"curl examples without <!-- example: NAME --> at lines {unnamed}"
    names = [example.name for example in examples]
    assert len(names) == len(set(names)), names
    assert set(names) == set(CHECKS)


def _create_staff_block() -> str:
    blocks = [code for language, code, *_ in _blocks(DOC.read_text()) if language == "sh" and "create_staff" in code]
    assert len(blocks) == 1, blocks
    return blocks[0]


def run_create_staff(code: str, database_url: str) -> str:
    """Run the document's create_staff block in the project folder; the token it exports."""
    result = subprocess.run(
        ["bash", "-c", f'set -eu\n{code}\nprintf "%s" "$TOKEN"'],
        cwd=PROJECT_DIR,
        env=subprocess_env(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="registry.settings.test"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_walk_through(transactional_db, world, live_gunicorn, subtests, tmp_path):
    """The document from top to bottom, on two seeded counties committed for the server:
    create zhangsan with the document's create_staff command, give the account a password
    (what ``changepassword`` does), then run every curl example in order, each a subtest."""
    create_staff = _create_staff_block()
    token = run_create_staff(create_staff, live_gunicorn.database_url)
    account = StaffAccount.objects.select_related("user").get(user__username=USERNAME)
    assert token == Token.objects.get(user=account.user).key
    assert (account.jurisdiction_id, account.role, account.personal_data) == (COUNTY_A, "editor", False)
    account.user.set_password(PASSWORD)
    account.user.save()

    ctx = Context(base=live_gunicorn.url, token=token, world=world)
    examples = [example for example in read_examples(DOC.read_text()) if example.name in CHECKS]
    assert {example.name for example in examples} == set(CHECKS)
    for example in examples:
        with subtests.test(msg=f"{example.name} (docs/api.md line {example.line})"):
            answer = run_curl(example.code, ctx.env, tmp_path)
            if example.status is None:
                assert 200 <= answer.status < 300, (answer.status, answer.body)
            else:
                assert answer.status == example.status, answer.body
            if example.shown is not None:
                if example.status is not None and example.status >= 400:
                    assert answer.body == example.shown  # errors are shown exactly
                else:
                    keys_shown_exist(example.shown, answer.body)
            CHECKS[example.name](answer, ctx)

    with subtests.test(msg="create_staff again: same token"):
        # "同一账号再次运行该命令时更新其属性,令牌不变"
        assert run_create_staff(create_staff, live_gunicorn.database_url) == token


def _table_names(section: str) -> list[list[str]]:
    """The backticked names in the first column of each row of the section's first table."""
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            rows.append(re.findall(r"`([a-z_/\-0-9]+)`", line.split("|")[1]))
    return rows


def test_people_filter_table_lists_exactly_the_filters():
    text = DOC.read_text()
    section = text[text.index("## 9.") :]
    people_table = section[: section.index("其他列表")]
    documented = [name for row in _table_names(people_table) for name in row]
    assert len(documented) == len(set(documented)), documented
    assert set(documented) == set(filtersets.PersonFilterSet.base_filters)


def test_other_lists_name_real_filters():
    text = DOC.read_text()
    section = text[text.index("其他列表") :]
    filtersets_by_path = {
        "/api/v1/divisions/": filtersets.DivisionFilterSet,
        "/api/v1/posts/": filtersets.PostFilterSet,
        "/api/v1/service-terms/": filtersets.ServiceTermFilterSet,
        "/api/v1/assessments/": filtersets.AssessmentFilterSet,
        "/api/v1/trainings/": filtersets.TrainingFilterSet,
        "/api/v1/ventures/": filtersets.VentureFilterSet,
        "/api/v1/mobility-events/": filtersets.MobilityEventFilterSet,
        "/api/v1/staff-accounts/": filtersets.StaffAccountFilterSet,
    }
    seen = set()
    for line in section.splitlines():
        match = re.match(r"\| `(/api/v1/[a-z-]+/)` \| (.*) \|$", line)
        if not match:
            continue
        path, names = match.group(1), re.findall(r"`([a-z_]+)`", match.group(2))
        filterset = filtersets_by_path[path]
        assert set(names) <= set(filterset.base_filters), (path, set(names) - set(filterset.base_filters))
        seen.add(path)
    assert seen == set(filtersets_by_path)
