# The Glue Data Catalog entry for the raw data: one database, one explicit table per raw table.
#
# Why explicit tables and not a crawler: the raw data has a fixed, known contract (seven tables,
# their columns and types, the sources YAML of the dbt project), and the dbt models depend on exactly
# that contract. A crawler would guess it again on every run and can guess differently: it
# infers types from a sample (a column that is all NULL in one load becomes `string`), it may
# merge or split tables when file names or schemas vary between folders, it has to finish
# before the weekly build reads the catalog (one more moving part to order and monitor), and
# it needs its own IAM role with read access to the data. Explicit definitions exist the moment
# `terraform apply` ends, never change behind dbt's back, are reviewed in pull requests, and a
# test keeps them equal to the Python contract. The price is that a schema change is a code
# change here, which is what a contract change should be.
#
# The tables are Parquet (the generator's default and the production format): Parquet carries
# its own types, so Spectrum reads INT64/DOUBLE/STRING/TIMESTAMP columns with no parsing rules.

resource "aws_glue_catalog_database" "raw" {
  name         = var.glue_database_name
  description  = "TheLook-shaped raw tables of the customer mart, read by Redshift Spectrum"
  location_uri = "s3://${local.raw_bucket_name}/${var.raw_prefix}/"
}

resource "aws_glue_catalog_table" "raw" {
  for_each = local.raw_tables

  name          = each.key
  database_name = aws_glue_catalog_database.raw.name
  description   = "Raw ${each.key}: every Parquet file under s3://${local.raw_bucket_name}/${local.raw_table_prefixes[each.key]}"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL       = "TRUE"
    classification = "parquet"
  }

  storage_descriptor {
    location      = "s3://${local.raw_bucket_name}/${local.raw_table_prefixes[each.key]}"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value
      content {
        name = columns.value[0]
        type = columns.value[1]
      }
    }
  }
}

# Catalog-wide metadata encryption with the data key. One setting per account and region, shared
# by every Glue database there, hence opt-in (manage_glue_catalog_encryption).
resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.manage_glue_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = aws_kms_key.data.arn
    }

    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = aws_kms_key.data.arn
    }
  }
}
