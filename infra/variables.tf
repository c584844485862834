# ---------------------------------------------------------------------------------------------
# Where
# ---------------------------------------------------------------------------------------------

variable "aws_account_id" {
  description = "The 12-digit AWS account this platform is applied to. The provider refuses any other account, and ARNs in the IAM and KMS policies are built from it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be exactly 12 digits."
  }
}

variable "aws_region" {
  description = "AWS region for every resource, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like an AWS region code, e.g. eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (bucket, roles, workgroup, cluster, schedule). Lowercase letters, digits and hyphens."
  type        = string
  default     = "customer-mart"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-24 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged into the provider's default tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Network (an existing VPC; this configuration does not create one)
# ---------------------------------------------------------------------------------------------

variable "vpc_id" {
  description = "The existing VPC that holds the private subnets for Redshift Serverless and the dbt task."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "At least three private subnets (no route to an internet gateway) spanning three Availability Zones (two in us-west-1), as Redshift Serverless requires, for the Redshift Serverless workgroup and the dbt Fargate task. They need a route to S3, Glue, ECR, CloudWatch Logs and the Redshift Serverless API (a NAT gateway or VPC endpoints); see README.md."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 3 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must list at least three subnet ids (subnet-...), as Redshift Serverless requires."
  }

  validation {
    condition     = length(distinct(var.private_subnet_ids)) == length(var.private_subnet_ids)
    error_message = "private_subnet_ids must not repeat a subnet."
  }
}

variable "https_egress_cidr_blocks" {
  description = "Where the dbt task and Redshift may open HTTPS (443) connections: the AWS APIs (S3, Glue, ECR, CloudWatch Logs, Redshift Serverless, STS). Keep 0.0.0.0/0 when they are reached through a NAT gateway; narrow it to your VPC CIDR when every one of them has an interface or gateway endpoint."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.https_egress_cidr_blocks) > 0 && alltrue([for c in var.https_egress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "https_egress_cidr_blocks must be a non-empty list of IPv4 CIDR blocks."
  }
}

# ---------------------------------------------------------------------------------------------
# Raw data: S3 and the Glue Data Catalog
# ---------------------------------------------------------------------------------------------

variable "raw_prefix" {
  description = "Key prefix of the raw tables inside the raw bucket: files live at s3://<bucket>/<raw_prefix>/<table>/. The same value goes to `customer-mart upload --prefix`."
  type        = string
  default     = "thelook/raw"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_./-]*[a-z0-9]$", var.raw_prefix)) && !strcontains(var.raw_prefix, "//")
    error_message = "raw_prefix must be a relative key prefix without leading or trailing slashes, e.g. thelook/raw (lowercase letters, digits, '_', '-', '.', '/')."
  }
}

variable "raw_noncurrent_version_days" {
  description = "Days a replaced or deleted raw file is kept as a noncurrent version (weekly reloads overwrite the files) before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_noncurrent_version_days >= 1 && var.raw_noncurrent_version_days <= 3650 && floor(var.raw_noncurrent_version_days) == var.raw_noncurrent_version_days
    error_message = "raw_noncurrent_version_days must be a whole number of days between 1 and 3650."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs of the raw bucket are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90 && var.access_log_retention_days <= 3650 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days between 90 and 3650."
  }
}

variable "glue_database_name" {
  description = "Glue Data Catalog database that describes the raw tables (passed to the dbt task as GLUE_DATABASE)."
  type        = string
  default     = "thelook_raw"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.glue_database_name))
    error_message = "glue_database_name must be 1-63 characters: lowercase letters, digits and underscores, starting with a letter."
  }
}

variable "manage_glue_catalog_encryption" {
  description = "Encrypt the Glue Data Catalog metadata with this platform's data key. The setting is one per account and region and applies to every database in that catalog, so turn it on only when this configuration may own it."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------------
# Redshift Serverless
# ---------------------------------------------------------------------------------------------

variable "redshift_database" {
  description = "Database created in the Redshift Serverless namespace; dbt builds the mart in it."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_$]{0,62}$", var.redshift_database))
    error_message = "redshift_database must be 1-63 characters: lowercase letters, digits, '_' or '$', not starting with a digit."
  }
}

variable "redshift_admin_username" {
  description = "Admin user of the namespace. Its password is generated and kept in Secrets Manager by Redshift (manage_admin_password); it is needed only for the one-time bootstrap SQL."
  type        = string
  default     = "mart_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,127}$", var.redshift_admin_username)) && !contains(["admin", "rdsadmin", "root", "public"], var.redshift_admin_username)
    error_message = "redshift_admin_username must start with a lowercase letter, use only lowercase letters, digits and '_', and not be a reserved name."
  }
}

variable "redshift_schema" {
  description = "Schema dbt builds the mart into (REDSHIFT_SCHEMA of the dbt profile)."
  type        = string
  default     = "customer_mart"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,126}$", var.redshift_schema))
    error_message = "redshift_schema must be lowercase letters, digits and '_', not starting with a digit."
  }
}

variable "spectrum_schema" {
  description = "External schema in Redshift that maps the Glue database (SPECTRUM_SCHEMA for the dbt macro create_spectrum_schema)."
  type        = string
  default     = "thelook_raw"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,126}$", var.spectrum_schema))
    error_message = "spectrum_schema must be lowercase letters, digits and '_', not starting with a digit."
  }
}

variable "analysts_group" {
  description = "Redshift group the marts are granted to (select on the marts, usage on their schema): created by the bootstrap SQL and passed to the dbt task as ANALYSTS_GROUP. Empty for no group and no grants."
  type        = string
  default     = "analysts"

  validation {
    # The dbt macro analysts_group accepts [A-Za-z_][A-Za-z0-9_$]* and lowercases it; Redshift folds
    # unquoted names to lowercase, so only lowercase names are accepted here.
    condition     = var.analysts_group == "" || can(regex("^[a-z_][a-z0-9_$]{0,126}$", var.analysts_group))
    error_message = "analysts_group must be empty (no grants) or a plain Redshift name: lowercase letters, digits, '_' or '$', not starting with a digit, at most 127 characters."
  }

  validation {
    condition     = !contains(["public", "pg_catalog", "rdsdb"], var.analysts_group)
    error_message = "analysts_group must not be a reserved name (public, pg_catalog, rdsdb)."
  }
}

variable "redshift_base_capacity" {
  description = "Base capacity of the workgroup in Redshift Processing Units (RPUs): 8 to 512 in steps of 8. Billing is per second of use, so a weekly build costs little at any size."
  type        = number
  default     = 8

  validation {
    condition     = var.redshift_base_capacity >= 8 && var.redshift_base_capacity <= 512 && var.redshift_base_capacity % 8 == 0
    error_message = "redshift_base_capacity must be a multiple of 8 between 8 and 512."
  }
}

variable "redshift_max_capacity" {
  description = "Upper bound on the RPUs the workgroup may scale to (a cost cap); must be at least redshift_base_capacity."
  type        = number
  default     = 32

  validation {
    condition     = var.redshift_max_capacity >= 8 && var.redshift_max_capacity <= 5632 && var.redshift_max_capacity % 8 == 0
    error_message = "redshift_max_capacity must be a multiple of 8 between 8 and 5632."
  }
}

# ---------------------------------------------------------------------------------------------
# The weekly run: ECR, ECS Fargate, EventBridge Scheduler
# ---------------------------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the project image in the ECR repository that the scheduled task runs (tags are immutable; use a release or a git commit id, never 'latest')."
  type        = string
  default     = "0.1.0"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid Docker tag (letters, digits, '_', '.', '-'; up to 128 characters) and not 'latest'."
  }
}

variable "task_cpu" {
  description = "CPU units of the dbt Fargate task (1024 = 1 vCPU). dbt only sends SQL to Redshift, so little is needed."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "task_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "task_memory" {
  description = "Memory of the dbt Fargate task in MiB; must be a size Fargate allows for task_cpu."
  type        = number
  default     = 1024

  validation {
    condition     = var.task_memory >= 512 && var.task_memory <= 30720 && var.task_memory % 512 == 0
    error_message = "task_memory must be a multiple of 512 MiB between 512 and 30720."
  }
}

variable "schedule_expression" {
  description = "When the build runs: a weekly EventBridge Scheduler cron expression, cron(minutes hours ? * DAY *) with one day of the week, e.g. cron(0 3 ? * MON *)."
  type        = string
  default     = "cron(0 3 ? * MON *)"

  validation {
    condition     = can(regex("^cron\\(([0-9]|[1-5][0-9]) ([0-9]|1[0-9]|2[0-3]) \\? \\* (SUN|MON|TUE|WED|THU|FRI|SAT|[1-7]) \\*\\)$", var.schedule_expression))
    error_message = "schedule_expression must run once a week: cron(<minute 0-59> <hour 0-23> ? * <one day SUN-SAT or 1-7> *)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone the schedule's cron expression is read in; a scheduled build's as_of_date is the day in this zone (SCHEDULE_TIMEZONE of the task)."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Z][A-Za-z_]+(/[A-Z][A-Za-z_+-]+){1,2})$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone name such as UTC or Europe/Berlin."
  }
}

variable "schedule_enabled" {
  description = "Whether the weekly schedule is ENABLED. Set false to pause the builds without destroying anything."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the dbt task's CloudWatch log group, in days (one of the values CloudWatch Logs accepts, at least a year)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention of at least a year: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "ecr_keep_images" {
  description = "How many images the ECR repository keeps; older ones expire."
  type        = number
  default     = 20

  validation {
    condition     = var.ecr_keep_images >= 1 && var.ecr_keep_images <= 1000 && floor(var.ecr_keep_images) == var.ecr_keep_images
    error_message = "ecr_keep_images must be a whole number between 1 and 1000."
  }
}

# ---------------------------------------------------------------------------------------------
# What the weekly build publishes: dbt artefacts for slim CI, the docs site for analysts
# ---------------------------------------------------------------------------------------------

variable "artifacts_prefix" {
  description = "Key prefix in the artefacts bucket where the weekly task writes the production manifest.json and run_results.json after each successful build (what slim CI defers to)."
  type        = string
  default     = "dbt/prod"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_./-]*[a-z0-9]$", var.artifacts_prefix)) && !strcontains(var.artifacts_prefix, "//")
    error_message = "artifacts_prefix must be a relative key prefix without leading or trailing slashes, e.g. dbt/prod (lowercase letters, digits, '_', '-', '.', '/')."
  }
}

variable "docs_prefix" {
  description = "Key prefix in the artefacts bucket where the weekly task writes the dbt docs site (one file, <docs_prefix>/index.html, from `dbt docs generate --static`)."
  type        = string
  default     = "dbt/docs"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_./-]*[a-z0-9]$", var.docs_prefix)) && !strcontains(var.docs_prefix, "//")
    error_message = "docs_prefix must be a relative key prefix without leading or trailing slashes, e.g. dbt/docs (lowercase letters, digits, '_', '-', '.', '/')."
  }
}

variable "segments_prefix" {
  description = "Key prefix in the artefacts bucket where the weekly task's segment step exchanges Parquet files with Redshift (UNLOAD of the mart, COPY of the week's segment tables). The role Redshift assumes for UNLOAD and COPY, and the task, reach only this prefix."
  type        = string
  default     = "segments/work"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_./-]*[a-z0-9]$", var.segments_prefix)) && !strcontains(var.segments_prefix, "//")
    error_message = "segments_prefix must be a relative key prefix without leading or trailing slashes, e.g. segments/work (lowercase letters, digits, '_', '-', '.', '/')."
  }
}

variable "segments_retention_days" {
  description = "Days the segment step's Parquet files (each week's segment tables, as loaded by COPY) are kept under segments_prefix before they expire; the tables in Redshift keep the history."
  type        = number
  default     = 30

  validation {
    condition     = var.segments_retention_days >= 1 && var.segments_retention_days <= 3650 && floor(var.segments_retention_days) == var.segments_retention_days
    error_message = "segments_retention_days must be a whole number of days between 1 and 3650."
  }
}

variable "artifacts_noncurrent_version_days" {
  description = "Days a replaced artefact or docs page (each weekly build replaces them) is kept as a noncurrent version before it expires."
  type        = number
  default     = 90

  validation {
    condition     = var.artifacts_noncurrent_version_days >= 1 && var.artifacts_noncurrent_version_days <= 3650 && floor(var.artifacts_noncurrent_version_days) == var.artifacts_noncurrent_version_days
    error_message = "artifacts_noncurrent_version_days must be a whole number of days between 1 and 3650."
  }
}

# ---------------------------------------------------------------------------------------------
# Alerts: a failed build or a failed scheduler invocation reaches a person
# ---------------------------------------------------------------------------------------------

variable "alert_email" {
  description = "E-mail address subscribed to the alerts topic (a failed weekly build, a schedule that could not start it). AWS sends a confirmation mail that must be accepted. Empty: no subscription; subscribe another endpoint to the alerts_topic_arn output yourself."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_email == "" || can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$", var.alert_email))
    error_message = "alert_email must be empty or one e-mail address such as data-oncall@example.com."
  }
}

# ---------------------------------------------------------------------------------------------
# Continuous integration: the slim-CI job's AWS identity (GitHub Actions OIDC)
# ---------------------------------------------------------------------------------------------

variable "github_repository" {
  description = "owner/name of the GitHub repository whose pull-request workflow may read the production dbt artefacts (role ci_artifacts_reader, assumed through GitHub's OIDC provider). Empty: no CI role."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be empty or owner/name, e.g. example-org/customer-mart."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's IAM OIDC provider for token.actions.githubusercontent.com. There is one per account: set false when it already exists (the CI role then trusts the existing one)."
  type        = bool
  default     = true
}
