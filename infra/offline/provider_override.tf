# Copied next to the configuration by infra/check.sh for the offline `terraform plan` only; never
# loaded by a real apply (it lives outside the root module). Fake keys, no account look-up, no
# metadata service: the plan runs with no AWS account and no network.
provider "aws" {
  access_key                  = "AKIAOFFLINEPLANONLY00"
  secret_key                  = "offline-plan-only-not-a-real-secret-key"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  allowed_account_ids         = null
}
