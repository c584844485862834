# Redshift Serverless: the namespace holds the database (encrypted with the platform key, admin
# password generated and kept in Secrets Manager by Redshift itself); the workgroup is the
# compute, reachable only inside the VPC.

locals {
  redshift_port = 5439
}

resource "aws_redshiftserverless_namespace" "this" {
  namespace_name = local.namespace_name
  db_name        = var.redshift_database
  admin_username = var.redshift_admin_username

  # Redshift creates the admin password and stores it in Secrets Manager (never in state).
  manage_admin_password            = true
  admin_password_secret_kms_key_id = aws_kms_key.platform.arn

  kms_key_id = aws_kms_key.platform.arn

  # The roles the namespace may use: Spectrum's, to read the raw data (the default), and the
  # segment step's, for its UNLOAD and COPY of the segments prefix (named in both statements).
  iam_roles            = [aws_iam_role.spectrum.arn, aws_iam_role.segments.arn]
  default_iam_role_arn = aws_iam_role.spectrum.arn

  log_exports = ["connectionlog", "userlog", "useractivitylog"]

  lifecycle {
    # The admin username cannot change without replacing the namespace, and with it the data.
    ignore_changes = [admin_username]
  }
}

resource "aws_redshiftserverless_workgroup" "this" {
  namespace_name = aws_redshiftserverless_namespace.this.namespace_name
  workgroup_name = local.workgroup_name

  base_capacity = var.redshift_base_capacity
  max_capacity  = var.redshift_max_capacity
  port          = local.redshift_port

  # Private: no public endpoint, only the private subnets, only the Redshift security group.
  publicly_accessible = false
  subnet_ids          = var.private_subnet_ids
  security_group_ids  = [aws_security_group.redshift.id]

  # COPY, UNLOAD and Spectrum traffic goes through the VPC (and its endpoints), not the internet.
  enhanced_vpc_routing = true

  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }

  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }

  lifecycle {
    precondition {
      condition     = var.redshift_max_capacity >= var.redshift_base_capacity
      error_message = "redshift_max_capacity must be at least redshift_base_capacity."
    }
  }
}
