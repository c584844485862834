# ---------------------------------------------------------------------------------------------
# How each week's build reaches a person, through one SNS topic:
# - the task reports itself (scripts/report_build.py, from dbt's run_results.json): a failed step
#   with the failed and skipped nodes and the first error line, then exit code 3; the warnings in
#   a message of their own; each successful week's one success line. It renews a heartbeat on
#   success: the one message in the heartbeat queue below.
# - what the task cannot report: its container exited non-zero other than 3 (killed, out of
#   memory, or its own report failed) or never started (image pull, network). EventBridge sees the
#   ECS "Task State Change" event; the rule below matches this cluster and this task family only.
# - the schedule could not start the task at all (RunTask refused, throttled, role broken) and
#   gave up after its retries. EventBridge Scheduler emits no event for that: the invocation
#   goes to a dead-letter queue, and CloudWatch alarms on that queue and on the schedule group's
#   AWS/Scheduler InvocationDroppedCount publish to the topic.
# - no successful build for 8 days, whatever the cause (a schedule paused or deleted, a task
#   that hangs, alerts nobody acted on): an alarm on the heartbeat's age.
# The topic is encrypted with the platform key; kms.tf lets EventBridge and CloudWatch use it,
# iam.tf lets the task's role publish to it.
# ---------------------------------------------------------------------------------------------

locals {
  # The CloudWatch alarms that may publish to the topic (topic policy here, key policy in kms.tf).
  alert_alarm_arns = [
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account}:alarm:${var.name_prefix}-schedule-*",
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account}:alarm:${local.no_success_alarm_name}",
  ]
  no_success_alarm_name = "${var.name_prefix}-no-successful-build"
  # The missed-week alarm's threshold: a weekly build plus a day's grace.
  no_success_seconds = 8 * 86400
}

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
      values   = local.alert_alarm_arns
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }

  # The weekly task reports its own builds (scripts/report_build.py); its role's policy (iam.tf)
  # grants the same, this statement names it as the one role in the account that does.
  statement {
    sid       = "TheWeeklyTaskReportsItsBuilds"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.runner.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

# --- the task stopped with an exit code it did not report, or never started its container ----

locals {
  # "arn:aws:ecs:<region>:<account>:task-definition/<family>:" followed by the revision: every
  # revision of the weekly task's family, no other family (the colon ends the family name).
  task_definition_arn_prefix = "arn:${local.partition}:ecs:${local.region}:${local.account}:task-definition/${local.task_family}:"
  # aws_ecs_cluster.this.arn, written out so that the rule's pattern is known at plan time (and
  # checked there by tests/python/test_infra.py); ECS cluster ARNs have exactly this form.
  cluster_arn = "arn:${local.partition}:ecs:${local.region}:${local.account}:cluster/${local.cluster_name}"
  # scripts/weekly_build.sh exits 3 after it reported a failed step to the topic itself.
  reported_exit_code = 3
}

resource "aws_cloudwatch_event_rule" "build_failed" {
  name        = "${var.name_prefix}-dbt-build-failed"
  description = "The weekly dbt build task stopped with an exit code it did not report itself, or failed to start"

  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn        = [local.cluster_arn]
      taskDefinitionArn = [{ prefix = local.task_definition_arn_prefix }]
      lastStatus        = ["STOPPED"]
      "$or" = [
        { containers = { exitCode = [{ "anything-but" = [0, local.reported_exit_code] }] } },
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
    input_template = "\"customer-mart: the weekly dbt build task STOPPED without reporting why (killed, out of memory, never started, or its own report failed). Task <task> stopped (<stopCode>: <reason>); dbt container exit code <exitCode>. Read its log: aws logs tail ${local.log_group_name} --since 1d --region ${local.region}\""
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

# --- no successful build for 8 days ------------------------------------------------------------
# The heartbeat: after each successful build the task replaces the one message in this queue by
# its own (scripts/report_build.py), so the queue's oldest message is as old as the last success.
# SQS reports that age (ApproximateAgeOfOldestMessage) while the queue holds a message, and the
# alarm fires once it reaches 8 days. An empty queue reports nothing: missing data is breaching
# too (no success recorded at all, or the message outlived its 14 days). A plain "successes per
# period" metric cannot do this: a CloudWatch alarm looks back at most 7 days (Period times
# EvaluationPeriods <= 604,800 s, PutMetricAlarm), while the age is measured by SQS.

resource "aws_sqs_queue" "heartbeat" {
  name                       = "${var.name_prefix}-build-heartbeat"
  message_retention_seconds  = 1209600 # 14 days, the maximum: longer than the alarm's 8
  visibility_timeout_seconds = 30
  sqs_managed_sse_enabled    = true
}

resource "aws_cloudwatch_metric_alarm" "no_successful_build" {
  alarm_name          = local.no_success_alarm_name
  alarm_description   = "No successful weekly dbt build of customer_features for 8 days: the heartbeat in ${aws_sqs_queue.heartbeat.name} is that old, or missing. Earlier alerts on this topic say why; else check the schedule (enabled?) and the task (running for days?). infra/README.md, \"Alerts\"."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.heartbeat.name }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.no_success_seconds
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}
