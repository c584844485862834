# The weekly run: EventBridge Scheduler starts one dbt build task on the cluster, in the private
# subnets, with no public IP.

resource "aws_scheduler_schedule_group" "this" {
  name = var.name_prefix
}

resource "aws_scheduler_schedule" "weekly_build" {
  name        = "${var.name_prefix}-weekly-dbt-build"
  group_name  = aws_scheduler_schedule_group.this.name
  description = "Weekly dbt build of the customer_features mart on Redshift Serverless"
  state       = var.schedule_enabled ? "ENABLED" : "DISABLED"

  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  kms_key_arn                  = aws_kms_key.platform.arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.dbt.arn
      launch_type         = "FARGATE"
      platform_version    = "LATEST"
      task_count          = 1

      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.runner.id]
        assign_public_ip = false
      }
    }

    # A failed start is retried for up to an hour; a failed build is not retried (dbt's own
    # test failures would only fail again) and shows in the task's logs. Both alert (alerts.tf):
    # an invocation that still fails lands in the dead-letter queue, which an alarm watches.
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dlq.arn
    }
  }
}
