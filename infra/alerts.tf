# ---------------------------------------------------------------------------------------------
# Failures reach a person. Two ways the weekly build can fail, one SNS topic for both:
# - the task ran and stopped badly: the dbt container exited non-zero (a model, test or upload
#   failed) or the task never started its container (image pull, network). EventBridge sees the
#   ECS "Task State Change" event; the rule below matches this cluster and this task family only.
# - the schedule could not start the task at all (RunTask refused, throttled, role broken) and
#   gave up after its retries. EventBridge Scheduler emits no event for that: the invocation
#   goes to a dead-letter queue, and CloudWatch alarms on that queue and on the schedule group's
#   AWS/Scheduler InvocationDroppedCount publish to the topic.
# The topic is encrypted with the platform key; kms.tf lets EventBridge and CloudWatch use it.
# ---------------------------------------------------------------------------------------------

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-build-alerts"
  display_name      = "customer-mart build alerts"
  kms_master_key_id = aws_kms_key.platform.arn
}

resource "aws_sns_topic_subscription" "alert_email" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "EventBridgeRuleOnFailedBuilds"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.build_failed.arn]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsOnTheSchedule"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account}:alarm:${var.name_prefix}-schedule-*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

# --- the task stopped with a non-zero exit code, or never started its container -------------

locals {
  # "arn:aws:ecs:<region>:<account>:task-definition/<family>:" followed by the revision: every
  # revision of the weekly task's family, no other family (the colon ends the family name).
  task_definition_arn_prefix = "arn:${local.partition}:ecs:${local.region}:${local.account}:task-definition/${local.task_family}:"
  # aws_ecs_cluster.this.arn, written out so that the rule's pattern is known at plan time (and
  # checked there by tests/python/test_infra.py); ECS cluster ARNs have exactly this form.
  cluster_arn = "arn:${local.partition}:ecs:${local.region}:${local.account}:cluster/${local.cluster_name}"
}

resource "aws_cloudwatch_event_rule" "build_failed" {
  name        = "${var.name_prefix}-dbt-build-failed"
  description = "The weekly dbt build task stopped with a non-zero exit code or failed to start"

  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn        = [local.cluster_arn]
      taskDefinitionArn = [{ prefix = local.task_definition_arn_prefix }]
      lastStatus        = ["STOPPED"]
      "$or" = [
        { containers = { exitCode = [{ "anything-but" = 0 }] } },
        { stopCode = ["TaskFailedToStart"] },
      ]
    }
  })
}

resource "aws_cloudwatch_event_target" "build_failed_to_alerts" {
  rule      = aws_cloudwatch_event_rule.build_failed.name
  target_id = "alerts-topic"
  arn       = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      task     = "$.detail.taskArn"
      stopCode = "$.detail.stopCode"
      reason   = "$.detail.stoppedReason"
      exitCode = "$.detail.containers[0].exitCode"
    }
    input_template = "\"customer-mart: the weekly dbt build FAILED. Task <task> stopped (<stopCode>: <reason>); dbt container exit code <exitCode>. Read its log: aws logs tail ${local.log_group_name} --since 1d --region ${local.region}\""
  }
}

# --- the schedule could not start the task -----------------------------------------------------

resource "aws_sqs_queue" "schedule_dlq" {
  name                      = "${var.name_prefix}-schedule-dlq"
  message_retention_seconds = 1209600 # 14 days, the maximum: the failed invocation, for diagnosis
  sqs_managed_sse_enabled   = true
}

resource "aws_cloudwatch_metric_alarm" "schedule_dead_letters" {
  alarm_name          = "${var.name_prefix}-schedule-dead-letters"
  alarm_description   = "The weekly dbt build schedule could not start the task: its invocation is in the dead-letter queue ${aws_sqs_queue.schedule_dlq.name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.schedule_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_metric_alarm" "schedule_dropped" {
  alarm_name          = "${var.name_prefix}-schedule-dropped-invocations"
  alarm_description   = "EventBridge Scheduler gave up starting the weekly dbt build (retries exhausted) in schedule group ${aws_scheduler_schedule_group.this.name}."
  namespace           = "AWS/Scheduler"
  metric_name         = "InvocationDroppedCount"
  dimensions          = { ScheduleGroup = aws_scheduler_schedule_group.this.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}
