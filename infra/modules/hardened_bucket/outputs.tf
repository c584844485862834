output "bucket" {
  description = "The bucket's name (known at plan: it is the bucket input)."
  value       = aws_s3_bucket.this.bucket
}
