# ---------------------------------------------------------------------------------------------
# One private, hardened S3 bucket: the settings every bucket of this platform shares, written
# once (infra/s3.tf and infra/artifacts.tf call it for the raw, access-log and artefacts buckets).
#   - all public access blocked, objects owned by the bucket owner (ACLs disabled);
#   - versioning; default encryption SSE-KMS with the given key and bucket keys (or SSE-S3);
#   - a bucket policy that denies requests without TLS, with TLS older than 1.2 (require_tls_1_2)
#     and, with a key, uploads naming another KMS key; plus the caller's own statements;
#   - the caller's lifecycle rules; S3 server access logging to access_log_bucket, if given.
# Checkov skips that depend on the bucket's use go on the module call (checkov applies them to
# this module's resources for that call only).
# ---------------------------------------------------------------------------------------------

locals {
  arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket}"

  # The bucket policy's own statements (the caller's come first, see policy_documents).
  deny_statements = concat(
    [{
      sid       = "DenyInsecureTransport"
      actions   = ["s3:*"]
      resources = [local.arn, "${local.arn}/*"]
      test      = "Bool"
      variable  = "aws:SecureTransport"
      values    = ["false"]
    }],
    var.require_tls_1_2 ? [{
      sid       = "DenyTlsOlderThan12"
      actions   = ["s3:*"]
      resources = [local.arn, "${local.arn}/*"]
      test      = "NumericLessThan"
      variable  = "s3:TlsVersion"
      values    = ["1.2"]
    }] : [],
    # Objects are encrypted with the bucket's key by default; refuse uploads that name another.
    var.sse_algorithm == "aws:kms" ? [{
      sid       = "DenyOtherKmsKeys"
      actions   = ["s3:PutObject"]
      resources = ["${local.arn}/*"]
      test      = "StringNotEqualsIfExists"
      variable  = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values    = [var.kms_key_arn]
    }] : [],
  )
}

data "aws_partition" "current" {}

resource "aws_s3_bucket" "this" {
  bucket = var.bucket
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.sse_algorithm
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.sse_algorithm == "aws:kms" ? true : null
  }

  lifecycle {
    precondition {
      condition     = (var.sse_algorithm == "aws:kms") == (var.kms_key_arn != null)
      error_message = "Give kms_key_arn with sse_algorithm aws:kms, and only then."
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${var.bucket}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  dynamic "rule" {
    for_each = var.lifecycle_rules

    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days != null || rule.value.expire_delete_markers ? [rule.value] : []

        content {
          days                         = expiration.value.expiration_days
          expired_object_delete_marker = expiration.value.expire_delete_markers ? true : null
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_version_days == null ? [] : [rule.value.noncurrent_version_days]

        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }

      dynamic "abort_incomplete_multipart_upload" {
        for_each = rule.value.abort_incomplete_upload_days == null ? [] : [rule.value.abort_incomplete_upload_days]

        content {
          days_after_initiation = abort_incomplete_multipart_upload.value
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_documents

  # Each statement denies everyone the actions on the resources when its condition holds.
  dynamic "statement" {
    for_each = local.deny_statements

    content {
      sid       = statement.value.sid
      effect    = "Deny"
      actions   = statement.value.actions
      resources = statement.value.resources

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = statement.value.values
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
