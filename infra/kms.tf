# Two customer-managed keys, so that reading the raw data never implies the right to decrypt the
# warehouse or its admin secret:
# - data:     the raw bucket's objects (and the Glue Data Catalog, when manage_glue_catalog_encryption).
# - platform: the Redshift Serverless namespace, its admin secret, the task logs, ECR, the schedule,
#             the artefacts bucket (manifest, docs) and the alerts topic.
#
# Both key policies delegate to IAM (the account root statement) and grant services nothing
# beyond that, except CloudWatch Logs, which must be named in the key policy to encrypt a log
# group, and EventBridge and CloudWatch alarms, which must be named to publish to the encrypted
# alerts topic. Each role's IAM policy then says which key it may use for what (the weekly task's
# role: through S3 for the artefacts, through SNS for the alerts topic).

data "aws_iam_policy_document" "kms_data" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the statement is the standard delegation of key administration to the account's IAM policies.
  #checkov:skip=CKV_AWS_111:Same: in a key policy "*" is the key itself, and only the account root principal is named.
  #checkov:skip=CKV_AWS_356:Same: a key policy cannot name a narrower resource than "*" (the key it is attached to).
  statement {
    sid       = "AccountIamPoliciesDecide"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
}

resource "aws_kms_key" "data" {
  description             = "${var.name_prefix}: raw data in S3 and the Glue Data Catalog"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_data.json
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name_prefix}-data"
  target_key_id = aws_kms_key.data.key_id
}

data "aws_iam_policy_document" "kms_platform" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the statement is the standard delegation of key administration to the account's IAM policies.
  #checkov:skip=CKV_AWS_111:Same: in a key policy "*" is the key itself; principals are the account root and CloudWatch Logs limited by encryption context.
  #checkov:skip=CKV_AWS_356:Same: a key policy cannot name a narrower resource than "*" (the key it is attached to).
  statement {
    sid       = "AccountIamPoliciesDecide"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsForTheTaskLogGroupOnly"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:${local.log_group_name}"]
    }
  }

  # The alerts topic (alerts.tf) is encrypted with this key: a service that publishes to an
  # encrypted topic needs these two actions on the key ("Enable compatibility between event
  # sources from AWS services and encrypted topics", SNS developer guide). EventBridge's requests
  # carry no aws:SourceArn/SourceAccount to KMS, so its statement cannot be conditioned on them.
  statement {
    sid       = "EventBridgePublishesToTheAlertsTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToTheAlertsTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.alert_alarm_arns
    }
  }
}

resource "aws_kms_key" "platform" {
  description             = "${var.name_prefix}: Redshift Serverless, its admin secret, task logs, ECR, schedule, artefacts, alerts"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_platform.json
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${var.name_prefix}-platform"
  target_key_id = aws_kms_key.platform.key_id
}
