"""The inventory model: what a Terraform tree declares about IAM, each value with its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Syntax = Literal["hcl", "hcl-block", "json", "json-in-hcl"]


@dataclass(frozen=True)
class Location:
    """Where a value came from.

    ``file`` is the path relative to the tree root (POSIX separators), as shown to users.
    ``start``/``end`` are character offsets into the file's text read with ``newline=""``
    (so CRLF files keep their ``\\r``); -1 when only the line is known.
    ``syntax`` says what the span holds: an HCL expression, an HCL block, a JSON value in a
    JSON file or heredoc (``json``), or JSON inside an HCL quoted string (``json-in-hcl``).
    """

    file: str
    line: int
    column: int = 1
    start: int = -1
    end: int = -1
    syntax: Syntax = "hcl"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def has_span(self) -> bool:
        return self.start >= 0 and self.end >= self.start


PolicyStyle = Literal[
    "jsonencode", "heredoc", "file", "templatefile", "policy_document", "json_string", "unknown"
]


@dataclass
class ActionEntry:
    """One entry of an Action / NotAction list, with the span of its literal (quotes included)."""

    value: str
    location: Location | None = None


@dataclass
class Statement:
    """One statement of a policy document, normalised, remembering its source spans."""

    index: int
    effect: str = "Allow"
    sid: str | None = None
    actions: list[ActionEntry] | None = None
    not_actions: list[ActionEntry] | None = None
    resources: list[str] | None = None
    not_resources: list[str] | None = None
    principals: Any = None
    not_principals: Any = None
    conditions: Any = None
    # Span of the whole statement: a JSON/HCL object, or an HCL `statement` block.
    location: Location | None = None
    # Span of the Action value (a list, or a single string).
    actions_location: Location | None = None
    actions_is_list: bool = True
    # Why the statement cannot be rewritten in place (None when it can).
    not_editable: str | None = None
    # Parts that could not be evaluated statically.
    unknown: list[str] = field(default_factory=list)
    # Where the statement with the same Sid it replaces came from, in a data
    # "aws_iam_policy_document" merging source/override documents: removing this statement
    # would make that one apply again.
    replaces: str | None = None

    @property
    def is_allow(self) -> bool:
        return self.effect.lower() == "allow"


@dataclass
class PolicyDocument:
    """A parsed IAM policy document (identity, trust or resource policy)."""

    statements: list[Statement] = field(default_factory=list)
    style: PolicyStyle = "unknown"
    # Span of the whole document value (the jsonencode(...) call, heredoc, JSON file, ...).
    location: Location | None = None
    # Span of the Statement array (JSON/HCL list); None for policy_document blocks or a
    # single statement object.
    statements_location: Location | None = None
    # Set when the document as a whole could not be evaluated; statements is then empty.
    unknown_reason: str | None = None
    # Set (with unknown_reason) when it can never be read: not JSON, a missing or unreadable
    # file. AWS rejects such a policy at apply; ``location`` is where it is referenced.
    invalid: str | None = None
    # For file()/templatefile(): the JSON file the document lives in (relative to the root).
    source_file: str | None = None
    # The evaluated JSON document (plain data) when fully known.
    raw: Any = None


@dataclass
class Entity:
    """Common fields of everything the inventory lists."""

    address: str
    name: str | None
    location: Location
    path: str = "/"
    arn: str | None = None
    # Reasons parts of this entity could not be evaluated statically.
    unknown: list[str] = field(default_factory=list)


@dataclass
class Group(Entity):
    pass


@dataclass
class User(Entity):
    force_destroy: bool | None = None


@dataclass
class Role(Entity):
    assume_role_policy: PolicyDocument | None = None


@dataclass
class Policy(Entity):
    """A customer-managed policy (``kind="managed"``) or an inline one (``kind="inline"``)."""

    kind: Literal["managed", "inline"] = "managed"
    document: PolicyDocument | None = None
    # Inline policies: the owner.
    owner_type: Literal["group", "user", "role"] | None = None
    owner: str | None = None
    owner_address: str | None = None
    owner_arn: str | None = None
    description: str | None = None
    # Resource policies: the resource is reachable only from a VPC (an OpenSearch domain with
    # vpc_options), so "*" there means "anyone in the VPC", not the internet.
    vpc_only: bool = False
    # The root module it is read in (its directory relative to the tree, "." the top): one
    # module's policy reached from several roots is one Policy per root, with one address.
    root: str = "."


@dataclass
class Membership:
    """A user's membership of a group, by name."""

    user: str | None
    group: str | None
    address: str
    location: Location
    # Spans of the literal list entry that declares the membership, when there is one.
    entry_location: Location | None = None
    resource_type: str = ""
    # Addresses of the user / group resources when their names are not known statically.
    user_address: str | None = None
    group_address: str | None = None


@dataclass
class Attachment:
    """A managed policy attached to a group, user or role."""

    policy: str | None  # address of the customer-managed policy resource, when known
    policy_arn: str | None
    target_type: Literal["group", "user", "role"]
    target: str | None
    address: str
    location: Location
    resource_type: str = ""
    # Address of the target resource when its name is not known statically.
    target_address: str | None = None


@dataclass
class AccessKey:
    user: str | None
    address: str
    location: Location
    has_pgp_key: bool = False
    status: str | None = None


@dataclass
class LoginProfile:
    user: str | None
    address: str
    location: Location
    password_reset_required: bool | None = None


@dataclass
class PasswordPolicy:
    address: str
    location: Location
    settings: dict[str, Any] = field(default_factory=dict)
    # Settings whose value could not be evaluated (not in ``settings``).
    unknown: list[str] = field(default_factory=list)


@dataclass
class DocumentSource:
    """A ``data "aws_iam_policy_document"`` block."""

    address: str
    location: Location
    document: PolicyDocument


@dataclass
class Guardrail:
    """An account-wide guardrail the tree declares (for the LP05x checks).

    ``kind`` is ``root-activity-alert`` (an EventBridge rule matching root activity) or
    ``access-analyzer`` (an IAM Access Analyzer analyzer); ``detail`` says what was seen.
    """

    kind: Literal["root-activity-alert", "access-analyzer"]
    address: str
    location: Location
    detail: str = ""


@dataclass
class PermissionSetPolicy:
    """A policy given to a permission set: its inline policy, an AWS- or customer-managed
    policy, or its permissions boundary (``kind``), by the resource that attaches it."""

    kind: Literal["inline", "managed", "customer_managed", "boundary"]
    address: str
    location: Location
    # Address of the permission set resource (None when the reference is not known).
    permission_set: str | None
    arn: str | None = None  # managed: the policy ARN
    name: str | None = None  # customer-managed: the policy name (and path) in each account
    path: str = "/"
    # Inline: the policy, as other policies have it (address, name, location, document).
    policy: Policy | None = None
    # The root module (directory, relative to the tree) of the resource: its reference is
    # relative to it (two roots may each declare aws_ssoadmin_permission_set.ps).
    root: str = ""


@dataclass
class PermissionSet(Entity):
    """An IAM Identity Center permission set (``aws_ssoadmin_permission_set``), or one the
    tree only refers to (``managed_elsewhere``).

    Its policies are attached by other resources; they are listed here once the tree is read.
    """

    description: str | None = None
    session_duration: str | None = None
    inline_policy: Policy | None = None
    # Every inline policy given to it, in the order read: AWS allows one, so more than one
    # is a problem (listed under "Not resolved"; ``inline_policy`` is then the last, and
    # trim leaves them all as they are).
    inline_policies: list[Policy] = field(default_factory=list)
    policies: list[PermissionSetPolicy] = field(default_factory=list)
    # Not declared in this tree, only referred to: a ``data "aws_ssoadmin_permission_set"``
    # lookup (its address; ``name`` the name it is looked up by, when known), or an ARN
    # written out (``address`` and ``arn`` both that ARN, ``location`` where first named).
    managed_elsewhere: bool = False
    # Managed elsewhere and known from references alone (no data source instance read).
    referred_only: bool = False
    # The root module it is declared (or looked up) in; "" for one known by its ARN only.
    root: str = ""

    @property
    def boundary(self) -> PermissionSetPolicy | None:
        return next((p for p in self.policies if p.kind == "boundary"), None)


@dataclass
class IdentityStoreEntity:
    """A group or user of the Identity Center identity store (resource or data source)."""

    kind: Literal["group", "user"]
    address: str
    name: str | None
    location: Location


@dataclass
class IdentityStoreMembership:
    """A user in an identity store group, by the addresses (or ids) of both."""

    group: str | None
    user: str | None
    address: str
    location: Location


@dataclass
class AccountAssignment:
    """A permission set assigned to an identity store group or user in an AWS account."""

    address: str
    location: Location
    permission_set: str | None  # address of the permission set resource
    principal_type: str | None  # GROUP or USER
    principal: str | None  # address of the identity store group/user, or its literal id
    account: str | None  # the target account id, or the address it comes from
    root: str = ""  # the root module it is declared in (its references are relative to it)


@dataclass
class AccountSource:
    """An account the code names as the one a root is applied to (``allowed_account_ids``...)."""

    account_id: str
    # What said so: ``allowed_account_ids``, ``assume_role.role_arn``, ``var.account_id``.
    what: str
    location: Location | None = None


@dataclass
class Unresolved:
    """Something the inventory could not evaluate or follow, and why."""

    address: str
    message: str
    location: Location | None = None


@dataclass
class Inventory:
    """Everything a Terraform tree declares about IAM."""

    root: str
    account_id: str | None = None
    partition: str = "aws"
    groups: list[Group] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    access_keys: list[AccessKey] = field(default_factory=list)
    login_profiles: list[LoginProfile] = field(default_factory=list)
    password_policies: list[PasswordPolicy] = field(default_factory=list)
    documents: list[DocumentSource] = field(default_factory=list)
    # Trust/resource policies other than role trust (e.g. aws_s3_bucket_policy), by address.
    resource_policies: list[Policy] = field(default_factory=list)
    guardrails: list[Guardrail] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    # Files that could not be parsed (read-only commands go on without them).
    warnings: list[Unresolved] = field(default_factory=list)
    modules_not_followed: list[Unresolved] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # IAM declarations with no instance under the values given (count 0, empty for_each, in
    # a module call with none): address, reason ("count is 0 (var.create = false)"), block.
    not_instantiated: list[Unresolved] = field(default_factory=list)
    # The declarations with no instance or an unknown number of them, each evaluated once
    # with what is known (instance keys unknown), for `check`; ``conditions`` gives the
    # reason by address. They are in ``unresolved`` or ``not_instantiated``, not above.
    conditional: Inventory | None = None
    conditions: dict[str, str] = field(default_factory=dict)
    # Accounts the code says it is applied to (provider allowed_account_ids, assume_role, ...).
    account_sources: list[AccountSource] = field(default_factory=list)
    # IAM Identity Center: permission sets, the policies given to them, the identity store
    # and the account assignments.
    permission_sets: list[PermissionSet] = field(default_factory=list)
    permission_set_policies: list[PermissionSetPolicy] = field(default_factory=list)
    identity_store: list[IdentityStoreEntity] = field(default_factory=list)
    identity_memberships: list[IdentityStoreMembership] = field(default_factory=list)
    account_assignments: list[AccountAssignment] = field(default_factory=list)

    def group_named(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)

    def user_named(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)

    def role_named(self, name: str) -> Role | None:
        return next((r for r in self.roles if r.name == name), None)

    def policy_at(self, address: str) -> Policy | None:
        return next((p for p in self.policies if p.address == address), None)


# The lists of an Inventory that hold what a tree declares (one item per instance); merging
# partial inventories and judging declarations evaluated once go over exactly these.
DECLARATION_LISTS = (
    "groups", "users", "roles", "policies", "memberships", "attachments",
    "access_keys", "login_profiles", "password_policies", "documents",
    "resource_policies", "guardrails", "permission_sets", "permission_set_policies",
    "identity_store", "identity_memberships", "account_assignments",
)  # fmt: skip


def iam_arn(partition: str, account_id: str, kind: str, name: str, path: str | None = "/") -> str:
    """Build an IAM ARN: ``arn:aws:iam::111122223333:group/teams/ops``."""
    p = path or "/"
    if not p.startswith("/"):
        p = "/" + p
    if not p.endswith("/"):
        p = p + "/"
    return f"arn:{partition}:iam::{account_id}:{kind}{p}{name}"
