"""OIDC trust judged segment by segment: which CI jobs or workloads may assume a role.

Each CI provider puts who is asking into the ``sub`` claim, one segment after another
(GitHub ``repo:ORG/REPO:ref:refs/heads/main``, GitLab ``project_path:GROUP/PROJECT:ref_type:
branch:ref:main``, Terraform Cloud ``organization:ORG:project:P:workspace:W:run_phase:apply``,
EKS ``system:serviceaccount:NAMESPACE:NAME``). A wildcard in the organization segment lets in
anyone on the service whose organization name matches; in the repository segment, every
repository of the organization; in the branch segment, every branch and pull request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lpgen.conditions import tests
from lpgen.findings import Severity

_WILD = re.compile(r"[*?]")

Problem = tuple[str, Severity]


@dataclass(frozen=True)
class Claim:
    """A value the condition requires of a claim, and whether ``*``/``?`` are wildcards."""

    value: str
    like: bool

    def wild(self, text: str) -> bool:
        return self.like and _WILD.search(text) is not None


Judge = Callable[[str, list["Claim"], list["Claim"]], "Problem | None"]


def _claims(conditions: Any, host: str, claim: str) -> list[Claim]:
    """The values required of ``host:claim`` (also ``host/slug:claim``: GitHub's enterprise
    issuers put the enterprise slug after the host)."""
    key = f"{host}:{claim}"
    return [
        Claim(v, t.operator.lower().startswith("stringlike"))
        for t in tests(conditions)
        if t.requires
        and (t.key == key or (t.key.startswith(host + "/") and t.key.endswith(":" + claim)))
        for v in t.values
    ]


# Claims a repository chooses itself (a workflow's name, an environment's name, a branch):
# a customised sub claim that starts with one of them is matched by any repository that picks
# the same text (Checkov's list, checkov/common/util/oidc_utils.py).
_CHOSEN_CLAIMS = ("workflow", "environment", "ref", "context", "head_ref", "base_ref")


def _github(host: str, subs: list[Claim], auds: list[Claim]) -> Problem | None:
    if not subs:
        return "GitHub Actions OIDC tokens with no condition on the sub claim", Severity.HIGH
    worst: Problem | None = None
    for c in subs:
        found = _github_sub(c)
        if found is not None and (worst is None or found[1] > worst[1]):
            worst = found
    if worst is None and auds and all(a.wild(a.value) for a in auds):
        return f"GitHub Actions OIDC tokens for any audience (aud {auds[0].value!r})", Severity.LOW
    return worst


def _github_sub(c: Claim) -> Problem | None:
    v = c.value
    first = v.split(":", 1)[0]
    if first in _CHOSEN_CLAIMS:
        return (
            f"GitHub Actions OIDC tokens of any repository that names its {first} to match "
            f"(sub {v!r} starts with a claim the repository chooses)",
            Severity.HIGH,
        )
    if c.wild(v[:5]) or not v.startswith("repo:"):
        if c.wild(v.split(":", 1)[0]):
            return f"GitHub Actions OIDC tokens of any repository (sub {v!r})", Severity.HIGH
        return None  # a customised sub claim (repository_owner_id:..., job_workflow_ref:...)
    owner_repo, _, tail = v[5:].partition(":")
    owner, slash, repo = owner_repo.partition("/")
    if c.wild(owner) or not slash:
        if c.wild(owner) and owner.strip("*?") == "":
            return f"GitHub Actions OIDC tokens of any repository (sub {v!r})", Severity.HIGH
        if c.wild(owner):
            return (
                f"GitHub Actions OIDC tokens of every organization whose name matches "
                f"{owner!r} (sub {v!r})",
                Severity.HIGH,
            )
    if c.wild(repo):
        return (
            f"GitHub Actions OIDC tokens of any repository of organization {owner!r} (sub {v!r})",
            Severity.MEDIUM,
        )
    if _any_ref(c, tail, ("ref:", "environment:")):
        return (
            f"GitHub Actions OIDC tokens of any branch, tag, environment or pull request of "
            f"{owner_repo} (sub {v!r})",
            Severity.LOW,
        )
    return None


def _any_ref(c: Claim, tail: str, kinds: tuple[str, ...]) -> bool:
    """The last segments (``ref:refs/heads/main``) left open: ``*``, ``ref:*``, ``ref:refs/*``."""
    if not c.like or (not tail and not c.wild(tail)):
        return False
    if tail.startswith(("*", "?")):
        return True
    for kind in kinds:
        if tail.startswith(kind):
            rest = tail[len(kind) :]
            return rest.startswith(("*", "?")) or rest in ("refs/*", "refs/heads/*")
    return False


def _gitlab(host: str, subs: list[Claim], auds: list[Claim]) -> Problem | None:
    if not subs:
        return f"GitLab CI OIDC tokens ({host}) with no condition on the sub claim", Severity.HIGH
    for c in subs:
        v = c.value
        if not v.startswith("project_path:"):
            if c.wild(v.split(":", 1)[0]):
                return f"GitLab CI OIDC tokens of any project (sub {v!r})", Severity.HIGH
            continue
        path, _, tail = v[len("project_path:") :].partition(":")
        group, slash, project = path.partition("/")
        if c.wild(group) or not slash:
            return (
                f"GitLab CI OIDC tokens of any group matching {group!r} (sub {v!r})",
                Severity.HIGH,
            )
        if c.wild(project):
            return (
                f"GitLab CI OIDC tokens of any project of group {group!r} (sub {v!r})",
                Severity.MEDIUM,
            )
        if _any_ref(c, tail, ("ref_type:",)):
            return f"GitLab CI OIDC tokens of any branch or tag of {path} (sub {v!r})", Severity.LOW
    return None


def _terraform_cloud(host: str, subs: list[Claim], auds: list[Claim]) -> Problem | None:
    if not subs:
        return (
            "Terraform Cloud workload identity tokens of any organization (no condition on the "
            "sub claim)",
            Severity.HIGH,
        )
    for c in subs:
        segs = c.value.split(":")
        fields = dict(zip(segs[0::2], segs[1::2], strict=False))
        org = fields.get("organization")
        if org is None or c.wild(org) or c.wild(segs[0]):
            return (
                f"Terraform Cloud workload identity tokens of any organization (sub {c.value!r})",
                Severity.HIGH,
            )
        workspace = fields.get("workspace", "*")
        project = fields.get("project", "*")
        if (c.wild(workspace) and c.wild(project)) or ("workspace" not in fields and c.like):
            return (
                f"Terraform Cloud workload identity tokens of any workspace of organization "
                f"{org!r} (sub {c.value!r})",
                Severity.MEDIUM,
            )
    return None


def _scoped_provider(what: str, unit: str) -> Judge:
    """Bitbucket and CircleCI: the provider URL pins the workspace or organization, the sub
    claim the repository (``{REPO_UUID}:{STEP_UUID}``) or project (``org/O/project/P/user/U``)."""

    def judge(host: str, subs: list[Claim], auds: list[Claim]) -> Problem | None:
        if not subs:
            return f"{what} OIDC tokens of any {unit} (no condition on the sub claim)", (
                Severity.MEDIUM
            )
        for c in subs:
            segs = c.value.split("/")
            head = segs[3] if len(segs) > 3 and segs[2] == "project" else c.value.split(":")[0]
            if c.wild(head[:1]) or (c.wild(head) and head.strip("*?{}") == ""):
                return f"{what} OIDC tokens of any {unit} (sub {c.value!r})", Severity.MEDIUM
        return None

    return judge


def _eks(host: str, subs: list[Claim], auds: list[Claim]) -> Problem | None:
    if not subs:
        return (
            "EKS service account tokens of every namespace and service account of the cluster "
            "(no condition on the sub claim)",
            Severity.HIGH,
        )
    for c in subs:
        segs = c.value.split(":")
        if len(segs) < 4 or segs[:2] != ["system", "serviceaccount"]:
            if c.wild(c.value[:1]):
                return f"EKS service account tokens of any service account (sub {c.value!r})", (
                    Severity.HIGH
                )
            continue
        namespace, name = segs[2], ":".join(segs[3:])
        if c.wild(namespace):
            return f"EKS service account tokens of any namespace (sub {c.value!r})", Severity.HIGH
        if c.wild(name):
            return (
                f"EKS service account tokens of any service account in namespace {namespace!r} "
                f"(sub {c.value!r})",
                Severity.MEDIUM,
            )
    return None


def _cognito(host: str, subs: list[Claim], auds: list[Claim]) -> Problem | None:
    if not auds or all(a.wild(a.value) for a in auds):
        return "Cognito identities of any identity pool (no condition on aud)", Severity.HIGH
    return None


_PROVIDERS: tuple[tuple[re.Pattern[str], Judge], ...] = (
    (re.compile(r"^token\.actions\.githubusercontent\.com(/|$)"), _github),
    (re.compile(r"^gitlab\.com$"), _gitlab),
    (re.compile(r"^app\.terraform\.io$"), _terraform_cloud),
    (re.compile(r"^api\.bitbucket\.org/2\.0/workspaces/[^/]+/pipelines-config/identity/oidc$"),
     _scoped_provider("Bitbucket Pipelines", "repository of the workspace")),
    (re.compile(r"^oidc\.circleci\.com/org/[^/]+$"),
     _scoped_provider("CircleCI", "project of the organization")),
    (re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/[^/]+$"), _eks),
    (re.compile(r"^cognito-identity\.amazonaws\.com$"), _cognito),
)  # fmt: skip


def provider_host(federated: str) -> str:
    """``arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com`` -> its host."""
    if ":oidc-provider/" in federated:
        return federated.split(":oidc-provider/", 1)[1].lower()
    return federated.lower()


def web_identity_problem(federated: list[str], conditions: Any) -> Problem | None:
    """What a web-identity trust lets in that it should not, with its severity; None if pinned."""
    required = [t for t in tests(conditions) if t.requires]
    keys = {t.key for t in required}
    hosts = [provider_host(f) for f in federated if ":saml-provider/" not in f]
    if not federated:
        # The provider ARN is computed (known after apply): judge by the condition keys.
        hosts = sorted({k.rsplit(":", 1)[0] for k in keys if ":" in k and not k.startswith("aws:")})
        if not hosts and not keys:
            return "a web identity provider with no condition at all", Severity.HIGH
    worst: Problem | None = None
    for host in hosts:
        judge = next((j for pattern, j in _PROVIDERS if pattern.match(host)), None)
        if judge is not None:
            found = judge(host, _claims(conditions, host, "sub"), _claims(conditions, host, "aud"))
        elif not any(k.startswith(host + ":") for k in keys):
            found = (
                f"web identity provider {host} with no condition on its aud or sub claims",
                Severity.HIGH,
            )
        else:
            found = None
        if found is not None and (worst is None or found[1] > worst[1]):
            worst = found
    return worst
