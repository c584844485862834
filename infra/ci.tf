# ---------------------------------------------------------------------------------------------
# Slim CI's AWS identity (.github/workflows/pull-request.yml, job slim-ci-redshift): a role the
# pull-request workflow of `github_repository` assumes through GitHub's OIDC provider, with no
# stored AWS key. It may read the production manifest and run results (artifacts.tf) and nothing
# else. The job's Redshift connection is a database user of its own (README.md, "Slim CI").
# Created only when github_repository is set.
# ---------------------------------------------------------------------------------------------

locals {
  ci_enabled        = var.github_repository != ""
  github_oidc_host  = "token.actions.githubusercontent.com"
  github_oidc_arn   = "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.github_oidc_host}"
  ci_readable_items = [local.artifact_keys.manifest, local.artifact_keys.run_results]
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.ci_enabled && var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_policy_document" "ci_trust" {
  #checkov:skip=CKV_AWS_358:The subject is exactly repo:<owner/name>:pull_request with the repository validated in variables.tf; checkov reads the variable's empty default, for which no role is created.
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Only this repository's pull-request runs (the subject GitHub gives a pull_request job).
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

resource "aws_iam_role" "ci_artifacts_reader" {
  count = local.ci_enabled ? 1 : 0

  name                 = "${var.name_prefix}-ci-artifacts-reader"
  description          = "GitHub pull-request workflow: read the production dbt manifest and run results for slim CI"
  assume_role_policy   = data.aws_iam_policy_document.ci_trust.json
  max_session_duration = 3600

  depends_on = [aws_iam_openid_connect_provider.github]
}

data "aws_iam_policy_document" "ci_artifacts_reader" {
  statement {
    sid       = "ReadTheProductionManifestAndRunResults"
    actions   = ["s3:GetObject"]
    resources = [for key in local.ci_readable_items : "${local.artifacts_bucket_arn}/${key}"]
  }

  statement {
    sid       = "DecryptThemThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = [local.artifacts_bucket_arn]
    }
  }
}

resource "aws_iam_role_policy" "ci_artifacts_reader" {
  count = local.ci_enabled ? 1 : 0

  name   = "read-production-dbt-artifacts"
  role   = aws_iam_role.ci_artifacts_reader[0].id
  policy = data.aws_iam_policy_document.ci_artifacts_reader.json
}
