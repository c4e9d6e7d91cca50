"""Which files can matter for IAM, decided from their text before any parsing.

Parsing is the expensive part of reading a tree, so a monorepo is pre-scanned: a file matters
when it mentions IAM (``aws_iam_*`` resources and data sources), an account guardrail the
checks look for, or declares a resource policy (a bucket policy, a KMS key *with* a
``policy``...). A false positive only costs a parse; a false negative would hide IAM, so the
markers err on the side of parsing.
"""

from __future__ import annotations

import re

# Resources whose policy attribute is a resource policy (who may act on the resource).
RESOURCE_POLICY_TYPES: dict[str, str] = {
    "aws_s3_bucket_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_kms_key": "policy",
    "aws_ecr_repository_policy": "policy",
    "aws_secretsmanager_secret_policy": "policy",
    "aws_lambda_layer_version_permission": "policy",
    "aws_glacier_vault": "access_policy",
    "aws_elasticsearch_domain_policy": "access_policies",
    "aws_opensearch_domain_policy": "access_policies",
    # Policies set on the resource itself, and the other resource-policy resources.
    "aws_s3_bucket": "policy",
    "aws_sqs_queue": "policy",
    "aws_sns_topic": "policy",
    "aws_secretsmanager_secret": "policy",
    "aws_elasticsearch_domain": "access_policies",
    "aws_opensearch_domain": "access_policies",
    "aws_efs_file_system_policy": "policy",
    "aws_glue_resource_policy": "policy",
    "aws_api_gateway_rest_api": "policy",
    "aws_api_gateway_rest_api_policy": "policy",
    "aws_ses_identity_policy": "policy",
    "aws_cloudwatch_log_destination_policy": "access_policy",
    "aws_cloudwatch_log_resource_policy": "policy_document",
    "aws_backup_vault_policy": "policy",
    "aws_ecrpublic_repository_policy": "policy",
    "aws_s3_access_point": "policy",
    "aws_kinesis_resource_policy": "policy",
    "aws_dynamodb_resource_policy": "policy",
    "aws_codeartifact_domain_permissions_policy": "policy_document",
    "aws_codeartifact_repository_permissions_policy": "policy_document",
    "aws_media_store_container_policy": "policy",
    "aws_schemas_registry_policy": "policy",
    # Not a policy attribute: one statement written as arguments (lpgen.resource_policies).
    "aws_lambda_permission": "principal",
}

# IAM itself (and IAM Identity Center), Access Analyzer analyzers, and EventBridge patterns
# on root activity (which always name userIdentity).
_IAM = re.compile(
    r"aws_iam_|aws_accessanalyzer_analyzer|userIdentity|aws_ssoadmin_|aws_identitystore_"
)
_RESOURCE_POLICY = re.compile(
    r"resource[ \t]+\"(" + "|".join(RESOURCE_POLICY_TYPES) + r")\"[ \t]+\"[^\"]*\"[ \t]*\{"
)


def _block_end(text: str, start: int) -> int:
    """Index after the brace closing the block whose body starts at ``start`` (approximate:
    braces inside strings and heredocs may miscount, which only widens the search)."""
    depth = 1
    i = start
    n = len(text)
    while i < n and depth:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return i


def is_relevant(text: str) -> bool:
    """Whether a .tf file may declare IAM, a resource policy or an account guardrail."""
    # What _IAM finds, by substring searches: a pattern that starts with an alternation
    # tries each position of the text, several times slower.
    if (
        "aws_iam_" in text
        or "userIdentity" in text
        or "aws_ssoadmin_" in text
        or "aws_identitystore_" in text
        or "aws_accessanalyzer_analyzer" in text
    ):
        return True
    for m in _RESOURCE_POLICY.finditer(text):
        attr = RESOURCE_POLICY_TYPES[m.group(1)]
        body = text[m.end() : _block_end(text, m.end())]
        if re.search(rf"^[ \t]*{attr}[ \t]*=", body, re.M):
            return True
    return False
