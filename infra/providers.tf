provider "aws" {
  region = var.aws_region

  # A guard against applying to the wrong account with whatever credentials are in the shell.
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = merge(var.tags, {
      project    = "customer-mart"
      managed-by = "terraform"
    })
  }
}
