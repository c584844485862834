# ---------------------------------------------------------------------------------------------
# Raw data bucket: s3://<bucket>/<raw_prefix>/<table>/<files>, one prefix per raw table.
# `customer-mart upload` writes it; Redshift Spectrum reads it through the Glue tables.
# ---------------------------------------------------------------------------------------------

module "raw_bucket" {
  source = "./modules/hardened_bucket"
  #checkov:skip=CKV_AWS_144:Cross-region replication is not worth a second region for raw files that are reloaded from their source every week; versioning protects against overwrites and deletes.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: the weekly schedule, not an upload, starts the build.

  bucket            = local.raw_bucket_name
  kms_key_arn       = aws_kms_key.data.arn
  access_log_bucket = module.access_logs_bucket.bucket
  policy_documents  = [data.aws_iam_policy_document.raw_bucket.json]

  lifecycle_rules = [
    # Weekly reloads overwrite the raw files: keep the replaced versions for a while, then let them go.
    {
      id                      = "expire-replaced-raw-files"
      noncurrent_version_days = var.raw_noncurrent_version_days
      expire_delete_markers   = true
    },
    { id = "abort-incomplete-uploads", abort_incomplete_upload_days = 7 },
  ]
}

# The raw bucket's own statement, beside the module's (TLS >= 1.2 only, no other KMS key).
data "aws_iam_policy_document" "raw_bucket" {
  # Objects are encrypted with the data key by default; refuse uploads that ask for anything else.
  statement {
    sid       = "DenyOtherEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.raw_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }
}

# ---------------------------------------------------------------------------------------------
# Access-log bucket: S3 server access logs of the raw and artefacts buckets.
# ---------------------------------------------------------------------------------------------

module "access_logs_bucket" {
  source = "./modules/hardened_bucket"
  #checkov:skip=CKV_AWS_144:Access logs are an audit trail of a single-region platform; replicating them to a second region is not required here.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events of the log bucket.
  #checkov:skip=CKV_AWS_145:S3 server access logging can only deliver to a bucket whose default encryption is SSE-S3 (AES256), not SSE-KMS.

  bucket        = local.log_bucket_name
  sse_algorithm = "AES256"
  # No access logging of its own; TLS required, of any version.
  require_tls_1_2  = false
  policy_documents = [data.aws_iam_policy_document.access_logs_bucket.json]

  lifecycle_rules = [{
    id                           = "expire-access-logs"
    expiration_days              = var.access_log_retention_days
    noncurrent_version_days      = 7
    abort_incomplete_upload_days = 7
  }]
}

# The log bucket's own statement, beside the module's (TLS only): S3 log delivery for the two
# buckets whose logs come here, each under the prefix the module gives it (s3/<bucket>/).
data "aws_iam_policy_document" "access_logs_bucket" {
  statement {
    sid     = "S3ServerAccessLogsFromThePlatformBuckets"
    actions = ["s3:PutObject"]
    resources = [
      "arn:${local.partition}:s3:::${local.log_bucket_name}/s3/${local.raw_bucket_name}/*",
      "arn:${local.partition}:s3:::${local.log_bucket_name}/s3/${local.artifacts_bucket_name}/*",
    ]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.raw_bucket_arn, local.artifacts_bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}
