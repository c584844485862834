# Five roles, each with inline policies naming the exact resources it needs:
# - spectrum:  assumed by Redshift to read the raw table prefixes and their Glue definitions.
# - segments:  assumed by Redshift for the segment step's UNLOAD (writes) and COPY (reads), on the
#              segments prefix of the artefacts bucket only.
# - runner:    the dbt task's role: database credentials from Redshift Serverless, the puts of
#              the seven published objects (manifest, run results, docs page and its two charts;
#              a failed build's manifest and run results), the segments prefix (read the unloaded
#              mart, write the week's tables, clean up), publishing its reports to the alerts
#              topic, and its heartbeat in the heartbeat queue.
# - execution: ECS's role for starting the task (pull the image, write the log stream).
# - scheduler: EventBridge Scheduler's role for starting exactly that task on that cluster (and
#              parking a failed invocation in its dead-letter queue).
# With explicit Glue tables (see glue.tf) there is no crawler, so no crawler role.

# ---------------------------------------------------------------------------------------------
# Redshift Spectrum
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "spectrum_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "spectrum" {
  name               = "${var.name_prefix}-spectrum"
  description        = "Redshift Spectrum: read the raw table prefixes and their Glue tables, nothing else"
  assume_role_policy = data.aws_iam_policy_document.spectrum_trust.json
}

data "aws_iam_policy_document" "spectrum_s3" {
  statement {
    sid       = "ReadRawTableFiles"
    actions   = ["s3:GetObject"]
    resources = [for t, p in local.raw_table_prefixes : "${local.raw_bucket_arn}/${p}*"]
  }

  statement {
    sid       = "ListRawTablePrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.raw_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for t, p in local.raw_table_prefixes : "${p}*"]
    }
  }

  statement {
    sid       = "LocateRawBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.raw_bucket_arn]
  }
}

resource "aws_iam_role_policy" "spectrum_s3" {
  name   = "read-raw-table-prefixes"
  role   = aws_iam_role.spectrum.id
  policy = data.aws_iam_policy_document.spectrum_s3.json
}

data "aws_iam_policy_document" "spectrum_glue" {
  statement {
    sid = "ReadRawGlueDatabase"
    actions = [
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:GetPartition",
      "glue:GetPartitions",
      "glue:BatchGetPartition",
    ]
    resources = [
      local.glue_catalog_arn,
      local.glue_database_arn,
      "arn:${local.partition}:glue:${local.region}:${local.account}:table/${var.glue_database_name}/*",
    ]
  }
}

resource "aws_iam_role_policy" "spectrum_glue" {
  name   = "read-raw-glue-database"
  role   = aws_iam_role.spectrum.id
  policy = data.aws_iam_policy_document.spectrum_glue.json
}

data "aws_iam_policy_document" "spectrum_kms" {
  statement {
    sid       = "DecryptRawDataThroughS3AndGlue"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.data.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "glue.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "spectrum_kms" {
  name   = "decrypt-raw-data"
  role   = aws_iam_role.spectrum.id
  policy = data.aws_iam_policy_document.spectrum_kms.json
}

# ---------------------------------------------------------------------------------------------
# The segment step's UNLOAD and COPY (src/customer_mart/segment_store.py): Redshift assumes this
# role (IAM_ROLE of both statements). UNLOAD writes the mart's Parquet files and their manifest
# (PutObject; ALLOWOVERWRITE, no delete); COPY reads the week's files through their manifest
# (GetObject) and, as Spectrum, locates the bucket. Nothing outside the segments prefix.
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "segments_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "segments" {
  name               = "${var.name_prefix}-segments"
  description        = "Redshift UNLOAD and COPY of the segment step: the segments prefix of the artefacts bucket, nothing else"
  assume_role_policy = data.aws_iam_policy_document.segments_trust.json
}

data "aws_iam_policy_document" "segments_s3" {
  statement {
    sid       = "UnloadWritesAndCopyReadsTheSegmentsPrefix"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = [local.segments_objects_arn]
  }

  statement {
    sid       = "ListTheSegmentsPrefix"
    actions   = ["s3:ListBucket"]
    resources = [local.artifacts_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.segments_prefix}/*"]
    }
  }

  statement {
    sid       = "LocateTheArtifactsBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.artifacts_bucket_arn]
  }
}

resource "aws_iam_role_policy" "segments_s3" {
  name   = "unload-and-copy-the-segments-prefix"
  role   = aws_iam_role.segments.id
  policy = data.aws_iam_policy_document.segments_s3.json
}

data "aws_iam_policy_document" "segments_kms" {
  statement {
    sid       = "EncryptAndDecryptThemWithThePlatformKeyThroughS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
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

resource "aws_iam_role_policy" "segments_kms" {
  name   = "encrypt-and-decrypt-segment-files"
  role   = aws_iam_role.segments.id
  policy = data.aws_iam_policy_document.segments_kms.json
}

# ---------------------------------------------------------------------------------------------
# ECS task roles (runner = the container's identity; execution = ECS starting the container)
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account}:*"]
    }
  }
}

resource "aws_iam_role" "runner" {
  name               = local.runner_role_name
  description        = "The dbt build task: IAM sign-in to the Redshift Serverless workgroup"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "runner" {
  statement {
    sid       = "RedshiftServerlessIamSignIn"
    actions   = ["redshift-serverless:GetCredentials"]
    resources = [aws_redshiftserverless_workgroup.this.arn]
  }
}

resource "aws_iam_role_policy" "runner" {
  name   = "redshift-iam-sign-in"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner.json
}

# scripts/weekly_build.sh: exactly these seven objects (local.artifact_keys), no reads, no
# listing, no deletes. A document of its own, free of unknown values, so that the offline plan
# shows it resolved (tests/python/test_infra.py checks it).
data "aws_iam_policy_document" "runner_publish" {
  statement {
    sid       = "PublishTheBuildArtifactsAndDocs"
    actions   = ["s3:PutObject"]
    resources = [for k in sort(keys(local.artifact_keys)) : "${local.artifacts_bucket_arn}/${local.artifact_keys[k]}"]
  }
}

resource "aws_iam_role_policy" "runner_publish" {
  name   = "publish-build-artifacts-and-docs"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner_publish.json
}

data "aws_iam_policy_document" "runner_publish_kms" {
  statement {
    sid       = "EncryptThemWithThePlatformKeyThroughS3"
    actions   = ["kms:GenerateDataKey"]
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

resource "aws_iam_role_policy" "runner_publish_kms" {
  name   = "encrypt-build-artifacts-and-docs"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner_publish_kms.json
}

# scripts/report_build.py: its messages to the alerts topic (encrypted with the platform key, so
# the key through SNS for this topic only), and the heartbeat: the queue's old message read and
# deleted, this build's sent. Nothing else of SNS or SQS.
data "aws_iam_policy_document" "runner_report" {
  statement {
    sid       = "PublishTheWeeksReportToTheAlertsTopic"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }

  statement {
    sid       = "EncryptThemWithThePlatformKeyThroughSns"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [aws_sns_topic.alerts.arn]
    }
  }

  statement {
    sid       = "RenewTheHeartbeat"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"]
    resources = [aws_sqs_queue.heartbeat.arn]
  }
}

resource "aws_iam_role_policy" "runner_report" {
  name   = "report-builds-and-heartbeat"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner_report.json
}

# The segment step (`customer-mart segment --target redshift`): read the mart UNLOAD wrote and its
# manifest, write the week's tables and their manifests, delete the unloaded mart afterwards; in
# the segments prefix only, no listing. A document free of unknown values (the plan shows it).
data "aws_iam_policy_document" "runner_segments" {
  statement {
    sid       = "ExchangeSegmentFilesWithRedshift"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.segments_objects_arn]
  }
}

resource "aws_iam_role_policy" "runner_segments" {
  name   = "exchange-segment-files-with-redshift"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner_segments.json
}

data "aws_iam_policy_document" "runner_segments_kms" {
  statement {
    sid       = "EncryptAndDecryptThemWithThePlatformKeyThroughS3"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
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

resource "aws_iam_role_policy" "runner_segments_kms" {
  name   = "encrypt-and-decrypt-segment-files"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner_segments_kms.json
}

resource "aws_iam_role" "execution" {
  name               = "${var.name_prefix}-dbt-execution"
  description        = "ECS starts the dbt build task: pull its image, write its logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid = "EcrSignIn"
    # GetAuthorizationToken is account-wide: IAM offers no resource narrower than "*" for it.
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "PullTheProjectImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [aws_ecr_repository.dbt.arn]
  }

  statement {
    sid       = "WriteTaskLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.dbt.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-image-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# ---------------------------------------------------------------------------------------------
# EventBridge Scheduler
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-scheduler"
  description        = "EventBridge Scheduler: start the weekly dbt build task"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunTheDbtTaskOnItsCluster"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.dbt.arn]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  statement {
    sid       = "HandTheTaskItsRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.runner.arn, aws_iam_role.execution.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "SendFailedInvocationsToTheDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dlq.arn]
  }

  statement {
    sid       = "DecryptTheScheduleWithThePlatformKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.platform.arn]

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:scheduler:schedule:arn"
      values   = ["arn:${local.partition}:scheduler:${local.region}:${local.account}:schedule/${aws_scheduler_schedule_group.this.name}/*"]
    }
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "run-dbt-task"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
