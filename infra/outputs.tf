output "aws_region" {
  description = "Region of every resource."
  value       = local.region
}

output "raw_bucket" {
  description = "The raw-data bucket (--bucket of `customer-mart upload`)."
  value       = module.raw_bucket.bucket
}

output "raw_prefix" {
  description = "Key prefix of the raw tables in the bucket (--prefix of `customer-mart upload`)."
  value       = var.raw_prefix
}

output "raw_table_locations" {
  description = "S3 location of each raw table, as the Glue catalog describes it."
  value       = { for t, p in local.raw_table_prefixes : t => "s3://${module.raw_bucket.bucket}/${p}" }
}

output "upload_command" {
  description = "The command that loads a local raw folder into the bucket and checks the Glue tables."
  value       = "customer-mart upload --raw-dir data/raw --bucket ${module.raw_bucket.bucket} --prefix ${var.raw_prefix} --region ${local.region} --glue-database ${aws_glue_catalog_database.raw.name} --delete-stale"
}

output "glue_database" {
  description = "Glue Data Catalog database of the raw tables (GLUE_DATABASE of the dbt task)."
  value       = aws_glue_catalog_database.raw.name
}

output "glue_tables" {
  description = "The explicit Glue tables, one per raw table."
  value       = sort([for t in aws_glue_catalog_table.raw : t.name])
}

output "redshift_workgroup_name" {
  description = "Redshift Serverless workgroup."
  value       = aws_redshiftserverless_workgroup.this.workgroup_name
}

output "redshift_workgroup_endpoint" {
  description = "Private endpoint of the workgroup (REDSHIFT_HOST) and its port."
  value = {
    address = aws_redshiftserverless_workgroup.this.endpoint[0].address
    port    = aws_redshiftserverless_workgroup.this.endpoint[0].port
  }
}

output "redshift_database" {
  description = "Database the mart is built in."
  value       = var.redshift_database
}

output "redshift_admin_secret_arn" {
  description = "Secrets Manager secret holding the admin password Redshift generated (used once, by bootstrap.sh)."
  value       = aws_redshiftserverless_namespace.this.admin_password_secret_arn
}

output "spectrum_role_arn" {
  description = "IAM role Redshift Spectrum assumes (SPECTRUM_IAM_ROLE_ARN of the dbt task)."
  value       = aws_iam_role.spectrum.arn
}

output "dbt_runner_role_arn" {
  description = "IAM role of the dbt task; it signs in to Redshift as the database user in redshift_dbt_user."
  value       = aws_iam_role.runner.arn
}

output "redshift_dbt_user" {
  description = "Database user the dbt task becomes through IAM authentication."
  value       = local.runner_db_user
}

output "bootstrap_sql" {
  description = "One-time SQL, run as the admin by bootstrap.sh: the dbt task's database user, its right to create schemas, the external schema over the Glue database (owned by that user), and the analysts' group the marts are granted to (unless analysts_group is empty)."
  value = concat(
    [
      "CREATE USER \"${local.runner_db_user}\" PASSWORD DISABLE",
      "GRANT CREATE ON DATABASE ${var.redshift_database} TO \"${local.runner_db_user}\"",
      "CREATE EXTERNAL SCHEMA IF NOT EXISTS ${var.spectrum_schema} FROM DATA CATALOG DATABASE '${aws_glue_catalog_database.raw.name}' REGION '${local.region}' IAM_ROLE '${aws_iam_role.spectrum.arn}'",
      "ALTER SCHEMA ${var.spectrum_schema} OWNER TO \"${local.runner_db_user}\"",
    ],
    # The dbt user owns the marts it builds, and an owner may grant on them to any group: the
    # group needs no member and no privilege for the build's grants to succeed.
    var.analysts_group == "" ? [] : ["CREATE GROUP ${var.analysts_group}"],
  )
}

output "analysts_group" {
  description = "Redshift group the marts are granted to (ANALYSTS_GROUP of the dbt task); add analysts with ALTER GROUP ... ADD USER. Empty: no grants."
  value       = var.analysts_group
}

output "ecr_repository_url" {
  description = "Where to push the project image (tag it with var.image_tag)."
  value       = aws_ecr_repository.dbt.repository_url
}

output "ecs_cluster" {
  description = "ECS cluster the weekly build runs on."
  value       = aws_ecs_cluster.this.name
}

output "task_definition_arn" {
  description = "Task definition of the dbt build (for a manual `aws ecs run-task`)."
  value       = aws_ecs_task_definition.dbt.arn
}

output "runner_security_group_id" {
  description = "Security group of the dbt task (for a manual `aws ecs run-task`)."
  value       = aws_security_group.runner.id
}

output "private_subnet_ids" {
  description = "Subnets the dbt task runs in (for a manual `aws ecs run-task`)."
  value       = var.private_subnet_ids
}

output "log_group" {
  description = "CloudWatch log group of the dbt task."
  value       = aws_cloudwatch_log_group.dbt.name
}

output "schedule" {
  description = "The weekly build schedule: name, group, expression and time zone."
  value = {
    name                = aws_scheduler_schedule.weekly_build.name
    group               = aws_scheduler_schedule_group.this.name
    arn                 = aws_scheduler_schedule.weekly_build.arn
    schedule_expression = aws_scheduler_schedule.weekly_build.schedule_expression
    timezone            = aws_scheduler_schedule.weekly_build.schedule_expression_timezone
    state               = aws_scheduler_schedule.weekly_build.state
  }
}

output "artifacts_bucket" {
  description = "Bucket where each successful weekly build publishes the production dbt artefacts and the docs site."
  value       = module.artifacts_bucket.bucket
}

output "production_artifacts_uri" {
  description = "S3 folder of the production manifest.json and run_results.json (slim CI's --state; PROD_ARTIFACTS_URI in the pull-request workflow)."
  value       = "s3://${module.artifacts_bucket.bucket}/${var.artifacts_prefix}/"
}

output "docs_uri" {
  description = "S3 object of the weekly docs site (one HTML file, private)."
  value       = "s3://${module.artifacts_bucket.bucket}/${local.artifact_keys.docs}"
}

output "docs_presign_command" {
  description = "The command an analyst (holding the docs_reader policy) runs to open the docs site: it prints a URL valid for one hour."
  value       = "aws s3 presign s3://${module.artifacts_bucket.bucket}/${local.artifact_keys.docs} --expires-in 3600 --region ${local.region}"
}

output "segment_charts_presign_commands" {
  description = "The commands an analyst (holding the docs_reader policy) runs to open the week's segment charts published beside the docs page: each prints a URL valid for one hour."
  value = {
    for k in ["segments_chart", "segment_history_chart"] :
    k => "aws s3 presign s3://${module.artifacts_bucket.bucket}/${local.artifact_keys[k]} --expires-in 3600 --region ${local.region}"
  }
}

output "segments_role_arn" {
  description = "IAM role Redshift assumes for the segment step's UNLOAD and COPY (SEGMENTS_IAM_ROLE_ARN of the dbt task)."
  value       = aws_iam_role.segments.arn
}

output "docs_reader_policy_arn" {
  description = "IAM policy to attach to the analysts' role or group: read (and pre-sign) the docs page and its segment charts only."
  value       = aws_iam_policy.docs_reader.arn
}

output "alerts_topic_arn" {
  description = "SNS topic (KMS-encrypted) that receives each week's report (success line, warnings, failure with its failed nodes), tasks that stopped unreported, schedules that could not start them and the missed-week alarm; subscribe more endpoints to it."
  value       = aws_sns_topic.alerts.arn
}

output "failed_build_artifacts_uri" {
  description = "S3 folder where the weekly task puts a failed dbt step's run_results.json and manifest.json (slim CI never reads them)."
  value       = "s3://${module.artifacts_bucket.bucket}/${var.artifacts_prefix}/last-failed-build/"
}

output "heartbeat_queue" {
  description = "SQS queue holding one message, the last successful build's (as_of_date, when, customers); the missed-week alarm watches its age."
  value       = aws_sqs_queue.heartbeat.url
}

output "schedule_dead_letter_queue" {
  description = "SQS queue holding scheduler invocations that failed to start the task (14 days)."
  value       = aws_sqs_queue.schedule_dlq.url
}

output "ci_artifacts_role_arn" {
  description = "Role the pull-request workflow assumes through GitHub OIDC to read the production artefacts (repository secret AWS_CI_ROLE_ARN); null when github_repository is empty."
  value       = local.ci_enabled ? aws_iam_role.ci_artifacts_reader[0].arn : null
}
