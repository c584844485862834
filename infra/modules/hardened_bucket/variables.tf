variable "bucket" {
  description = "The bucket's name."
  type        = string
}

variable "sse_algorithm" {
  description = "Default encryption: aws:kms (SSE-KMS with kms_key_arn and bucket keys; the bucket policy refuses uploads that name another key) or AES256 (SSE-S3, for a bucket S3 server access logs are delivered to: log delivery supports nothing else)."
  type        = string
  default     = "aws:kms"

  validation {
    condition     = contains(["aws:kms", "AES256"], var.sse_algorithm)
    error_message = "sse_algorithm is aws:kms or AES256."
  }
}

variable "kms_key_arn" {
  description = "The customer-managed KMS key of an aws:kms bucket; null with AES256."
  type        = string
  default     = null
}

variable "access_log_bucket" {
  description = "Bucket that receives this bucket's S3 server access logs, under the prefix s3/<bucket>/ (its policy must let logging.s3.amazonaws.com write there). null: no access logging, for the log bucket itself."
  type        = string
  default     = null
}

variable "require_tls_1_2" {
  description = "Whether the bucket policy also denies requests made over TLS older than 1.2 (requests without TLS are denied in any case)."
  type        = bool
  default     = true
}

variable "policy_documents" {
  description = "This bucket's own statements (JSON policy documents, e.g. from aws_iam_policy_document), merged into the one bucket policy ahead of the module's statements; a statement with the Sid of one of the module's statements is replaced by it, never the other way round."
  type        = list(string)
  default     = []
}

variable "lifecycle_rules" {
  description = <<-EOT
    The bucket's lifecycle rules, in order, each enabled: id; prefix (null: the whole bucket);
    expiration_days (current objects expire after that many days) or expire_delete_markers
    (remove delete markers with no versions left behind); noncurrent_version_days (replaced and
    deleted versions expire); abort_incomplete_upload_days.
  EOT
  type = list(object({
    id                           = string
    prefix                       = optional(string)
    expiration_days              = optional(number)
    expire_delete_markers        = optional(bool, false)
    noncurrent_version_days      = optional(number)
    abort_incomplete_upload_days = optional(number)
  }))

  validation {
    condition     = length(var.lifecycle_rules) > 0
    error_message = "Give the bucket at least one lifecycle rule."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : !(r.expire_delete_markers && r.expiration_days != null)])
    error_message = "A rule's expiration is either expiration_days or expire_delete_markers, not both (S3 refuses the pair)."
  }
}
