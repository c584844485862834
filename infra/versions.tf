terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # State: configure a remote backend (S3 with a lock table, or HCP Terraform) for a shared
  # environment; see README.md, "Before you apply". Local state is fine for a first trial.
}
