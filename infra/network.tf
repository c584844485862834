# Security groups in the existing VPC. Nothing is reachable from outside the VPC:
# - redshift: accepts the Redshift port only from the dbt task's security group; sends HTTPS out
#   (enhanced VPC routing sends Spectrum's S3 and Glue traffic through the VPC).
# - runner:   the dbt task; talks to Redshift on its port and to the AWS APIs on HTTPS.

resource "aws_security_group" "redshift" {
  name        = "${var.name_prefix}-redshift"
  description = "Redshift Serverless workgroup: Redshift port from the dbt task only"
  vpc_id      = var.vpc_id
}

resource "aws_security_group" "runner" {
  #checkov:skip=CKV2_AWS_5:Attached to the dbt task by the schedule's ECS network configuration (schedule.tf), a link checkov's graph does not follow.
  name        = "${var.name_prefix}-dbt-runner"
  description = "dbt build task: out to Redshift and to the AWS APIs only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "redshift_from_runner" {
  security_group_id            = aws_security_group.redshift.id
  description                  = "Redshift port from the dbt build task"
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
  referenced_security_group_id = aws_security_group.runner.id
}

resource "aws_vpc_security_group_egress_rule" "redshift_https" {
  for_each = toset(var.https_egress_cidr_blocks)

  security_group_id = aws_security_group.redshift.id
  description       = "HTTPS to S3 and Glue for Spectrum (enhanced VPC routing)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "runner_to_redshift" {
  security_group_id            = aws_security_group.runner.id
  description                  = "Redshift port on the workgroup"
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
  referenced_security_group_id = aws_security_group.redshift.id
}

resource "aws_vpc_security_group_egress_rule" "runner_https" {
  for_each = toset(var.https_egress_cidr_blocks)

  security_group_id = aws_security_group.runner.id
  description       = "HTTPS to ECR, CloudWatch Logs and the Redshift Serverless API"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}
