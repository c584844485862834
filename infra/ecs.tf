# The dbt build as an ECS Fargate task: the project image's entrypoint, scripts/weekly_build.sh,
# runs `dbt run-operation create_spectrum_schema`, `dbt build --target redshift` for the week
# (AS_OF_DATE, or the schedule's day) and, after a successful build, publishes the manifest, the
# run results and the static docs site to the artefacts bucket, then runs the segment step and
# publishes its charts; it reports each week to the alerts topic and renews its heartbeat. IAM
# authentication to the workgroup, in the private subnets.

resource "aws_cloudwatch_log_group" "dbt" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.platform.arn
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  # Read by profiles.yml (the redshift target) and by the dbt macro create_spectrum_schema.
  dbt_environment = {
    DBT_TARGET            = "redshift"
    REDSHIFT_AUTH_METHOD  = "iam"
    REDSHIFT_HOST         = aws_redshiftserverless_workgroup.this.endpoint[0].address
    REDSHIFT_PORT         = tostring(local.redshift_port)
    REDSHIFT_DATABASE     = var.redshift_database
    REDSHIFT_SCHEMA       = var.redshift_schema
    REDSHIFT_USER         = local.runner_db_user
    REDSHIFT_WORKGROUP    = aws_redshiftserverless_workgroup.this.workgroup_name
    AWS_REGION            = local.region
    SPECTRUM_SCHEMA       = var.spectrum_schema
    RAW_SCHEMA            = var.spectrum_schema
    GLUE_DATABASE         = aws_glue_catalog_database.raw.name
    SPECTRUM_IAM_ROLE_ARN = aws_iam_role.spectrum.arn
    # The group the marts are granted to; the bootstrap SQL creates it (outputs.tf).
    ANALYSTS_GROUP = var.analysts_group
    # Read by scripts/weekly_build.sh: where a build publishes its artefacts and docs.
    ARTIFACTS_BUCKET      = module.artifacts_bucket.bucket
    ARTIFACTS_PREFIX      = var.artifacts_prefix
    DOCS_PREFIX           = var.docs_prefix
    ARTIFACTS_KMS_KEY_ARN = aws_kms_key.platform.arn
    # Read by scripts/report_build.py: where it reports the week, its heartbeat, the log it names,
    # and the zone of "the schedule's day" (the as_of_date when AS_OF_DATE is not overridden).
    ALERTS_TOPIC_ARN    = aws_sns_topic.alerts.arn
    HEARTBEAT_QUEUE_URL = aws_sqs_queue.heartbeat.url
    LOG_GROUP           = local.log_group_name
    SCHEDULE_TIMEZONE   = var.schedule_timezone
    # Read by the segment step (customer-mart segment --target redshift): where it exchanges
    # Parquet files with Redshift, the role UNLOAD and COPY assume, and the key of those files.
    SEGMENTS_BUCKET       = module.artifacts_bucket.bucket
    SEGMENTS_PREFIX       = var.segments_prefix
    SEGMENTS_IAM_ROLE_ARN = aws_iam_role.segments.arn
    SEGMENTS_KMS_KEY_ARN  = aws_kms_key.platform.arn
  }
}

resource "aws_ecs_task_definition" "dbt" {
  family                   = local.task_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.runner.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root filesystem is read-only; dbt writes its target/ and logs/ here (Fargate task storage).
  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([
    {
      name                   = "dbt"
      image                  = "${aws_ecr_repository.dbt.repository_url}:${var.image_tag}"
      essential              = true
      readonlyRootFilesystem = true
      user                   = "10001"
      environment = [
        for k in sort(keys(local.dbt_environment)) : { name = k, value = local.dbt_environment[k] }
      ]
      mountPoints = [
        { sourceVolume = "scratch", containerPath = "/tmp", readOnly = false },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.dbt.name
          awslogs-region        = local.region
          awslogs-stream-prefix = "dbt"
        }
      }
    },
  ])
}
