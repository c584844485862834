# The buckets' state addresses from before they used modules/hardened_bucket (issue 22): with
# these blocks `terraform plan` on an existing deployment moves each resource to its address in
# the module (shown as "has moved to") instead of destroying and creating the buckets again.
# Keep them while a deployment applied before the module may still hold the old addresses.

# The raw bucket (s3.tf)
moved {
  from = aws_s3_bucket.raw
  to   = module.raw_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.raw
  to   = module.raw_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.raw
  to   = module.raw_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.raw
  to   = module.raw_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.raw
  to   = module.raw_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_logging.raw
  to   = module.raw_bucket.aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.raw
  to   = module.raw_bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.raw
  to   = module.raw_bucket.aws_s3_bucket_policy.this
}


# The access-log bucket (s3.tf)
moved {
  from = aws_s3_bucket.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs
  to   = module.access_logs_bucket.aws_s3_bucket_policy.this
}


# The artefacts bucket (artifacts.tf)
moved {
  from = aws_s3_bucket.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_logging.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.artifacts
  to   = module.artifacts_bucket.aws_s3_bucket_policy.this
}
