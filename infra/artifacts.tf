# ---------------------------------------------------------------------------------------------
# Artefacts bucket: what the weekly build publishes after each successful build
# (scripts/weekly_build.sh in the image):
#   s3://<bucket>/<artifacts_prefix>/manifest.json     the production manifest slim CI defers to
#   s3://<bucket>/<artifacts_prefix>/run_results.json  that build's results
#   s3://<bucket>/<docs_prefix>/index.html             `dbt docs generate --static`, for analysts
#   s3://<bucket>/<docs_prefix>/segments.png           the week's customer segments
#   s3://<bucket>/<docs_prefix>/segment_history.png    segment sizes and profit levels, week by week
# and, under <segments_prefix>/, the segment step's Parquet exchange with Redshift (iam.tf).
# Private, SSE-KMS with the platform key, versioned, TLS only, access-logged (modules/hardened_bucket).
# The task may put exactly the published keys; the CI role may read the first two; analysts read
# the docs page and its charts through pre-signed URLs made by someone holding the docs_reader
# policy (README.md).
# ---------------------------------------------------------------------------------------------

module "artifacts_bucket" {
  source = "./modules/hardened_bucket"
  #checkov:skip=CKV_AWS_144:Cross-region replication is not worth a second region for artefacts that every weekly build writes again.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: CI fetches the manifest when a pull request runs, analysts open the docs on demand.

  bucket            = local.artifacts_bucket_name
  kms_key_arn       = aws_kms_key.platform.arn
  access_log_bucket = module.access_logs_bucket.bucket

  lifecycle_rules = [
    # Every weekly build replaces the three objects: keep the replaced versions for a while.
    {
      id                      = "expire-replaced-artifacts"
      noncurrent_version_days = var.artifacts_noncurrent_version_days
      expire_delete_markers   = true
    },
    { id = "abort-incomplete-uploads", abort_incomplete_upload_days = 7 },
    # The segment step's exchange files: the tables in Redshift keep the history.
    {
      id                      = "expire-segment-exchange-files"
      prefix                  = "${var.segments_prefix}/"
      expiration_days         = var.segments_retention_days
      noncurrent_version_days = 1
    },
  ]
}

# ---------------------------------------------------------------------------------------------
# Who may read what: the docs page (analysts' pre-signed URLs), the manifest (slim CI, ci.tf)
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "docs_reader" {
  statement {
    sid       = "ReadTheDocsPageAndItsCharts"
    actions   = ["s3:GetObject"]
    resources = [for k in local.docs_keys : "${local.artifacts_bucket_arn}/${k}"]
  }

  statement {
    sid       = "DecryptTheDocsPageThroughS3"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }

    # With S3 bucket keys the encryption context is the bucket's ARN: this bucket only.
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = [local.artifacts_bucket_arn]
    }
  }
}

# Attach it to the analysts' IAM role or group (or your SSO permission set): whoever holds it
# can make a pre-signed URL for the docs page and its two charts, and nothing else in this platform.
resource "aws_iam_policy" "docs_reader" {
  name        = "${var.name_prefix}-docs-reader"
  description = "Read the weekly dbt docs page and its segment charts (and pre-sign URLs to them); nothing else"
  policy      = data.aws_iam_policy_document.docs_reader.json
}
