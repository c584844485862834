# ---------------------------------------------------------------------------------------------
# Artefacts bucket: what the weekly build publishes after each successful build
# (scripts/weekly_build.sh in the image):
#   s3://<bucket>/<artifacts_prefix>/manifest.json     the production manifest slim CI defers to
#   s3://<bucket>/<artifacts_prefix>/run_results.json  that build's results
#   s3://<bucket>/<docs_prefix>/index.html             `dbt docs generate --static`, for analysts
#   s3://<bucket>/<docs_prefix>/segments.png           the week's customer segments
#   s3://<bucket>/<docs_prefix>/segment_history.png    segment sizes and profit levels, week by week
# and, under <segments_prefix>/, the segment step's Parquet exchange with Redshift (iam.tf).
# Private, SSE-KMS with the platform key, versioned, TLS only, access-logged. The task may put
# exactly the published keys; the CI role may read the first two; analysts read the docs page and
# its charts through pre-signed URLs made by someone holding the docs_reader policy (README.md).
# ---------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not worth a second region for artefacts that every weekly build writes again.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: CI fetches the manifest when a pull request runs, analysts open the docs on demand.
  bucket = local.artifacts_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.platform.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "artifacts" {
  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "s3/${local.artifacts_bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  # Every weekly build replaces the three objects: keep the replaced versions for a while.
  rule {
    id     = "expire-replaced-artifacts"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.artifacts_noncurrent_version_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # The segment step's exchange files: the tables in Redshift keep the history.
  rule {
    id     = "expire-segment-exchange-files"
    status = "Enabled"

    filter {
      prefix = "${var.segments_prefix}/"
    }

    expiration {
      days = var.segments_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

data "aws_iam_policy_document" "artifacts_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.artifacts_bucket_arn, "${local.artifacts_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyTlsOlderThan12"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.artifacts_bucket_arn, "${local.artifacts_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  statement {
    sid       = "DenyOtherKmsKeys"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.artifacts_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [aws_kms_key.platform.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
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
