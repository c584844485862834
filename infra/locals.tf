data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = var.aws_account_id
  region    = var.aws_region

  raw_bucket_name = "${var.name_prefix}-raw-${var.aws_account_id}-${var.aws_region}"
  log_bucket_name = "${var.name_prefix}-access-logs-${var.aws_account_id}-${var.aws_region}"

  # What the weekly build publishes (artifacts.tf, scripts/publish_dbt_artifacts.py): after a
  # successful build, the production dbt artefacts that slim CI defers to, the static docs site
  # and its two segment charts; after a failed dbt step, its run results and manifest beside
  # them, under last-failed-build/ (slim CI reads only the first two keys). These seven keys,
  # nothing else.
  artifacts_bucket_name = "${var.name_prefix}-artifacts-${var.aws_account_id}-${var.aws_region}"
  artifacts_bucket_arn  = "arn:${local.partition}:s3:::${local.artifacts_bucket_name}"
  artifact_keys = {
    manifest           = "${var.artifacts_prefix}/manifest.json"
    run_results        = "${var.artifacts_prefix}/run_results.json"
    docs               = "${var.docs_prefix}/index.html"
    failed_manifest    = "${var.artifacts_prefix}/last-failed-build/manifest.json"
    failed_run_results = "${var.artifacts_prefix}/last-failed-build/run_results.json"
    # The segment step's charts, beside the docs page (scripts/publish_dbt_artifacts.py charts).
    segments_chart        = "${var.docs_prefix}/segments.png"
    segment_history_chart = "${var.docs_prefix}/segment_history.png"
  }
  # What analysts may open: the docs page and its charts.
  docs_keys = [local.artifact_keys.docs, local.artifact_keys.segments_chart, local.artifact_keys.segment_history_chart]

  # The segment step's exchange with Redshift (src/customer_mart/segment_store.py): UNLOAD writes
  # the mart here, the step writes the week's tables here, COPY reads them.
  segments_objects_arn = "${local.artifacts_bucket_arn}/${var.segments_prefix}/*"

  # The raw data contract (src/customer_mart/schema.py) in Glue/Hive types: BigQuery INT64 is
  # bigint, FLOAT64 double, STRING string, TIMESTAMP timestamp. Column order is the files' order.
  # tests/python/test_infra.py fails if this drifts from the Python contract.
  raw_tables = {
    users = [
      ["id", "bigint"], ["first_name", "string"], ["last_name", "string"], ["email", "string"],
      ["age", "bigint"], ["gender", "string"], ["state", "string"], ["street_address", "string"],
      ["postal_code", "string"], ["city", "string"], ["country", "string"], ["latitude", "double"],
      ["longitude", "double"], ["traffic_source", "string"], ["created_at", "timestamp"],
    ]
    orders = [
      ["order_id", "bigint"], ["user_id", "bigint"], ["status", "string"], ["gender", "string"],
      ["created_at", "timestamp"], ["returned_at", "timestamp"], ["shipped_at", "timestamp"],
      ["delivered_at", "timestamp"], ["num_of_item", "bigint"],
    ]
    order_items = [
      ["id", "bigint"], ["order_id", "bigint"], ["user_id", "bigint"], ["product_id", "bigint"],
      ["inventory_item_id", "bigint"], ["status", "string"], ["created_at", "timestamp"],
      ["shipped_at", "timestamp"], ["delivered_at", "timestamp"], ["returned_at", "timestamp"],
      ["sale_price", "double"],
    ]
    events = [
      ["id", "bigint"], ["user_id", "bigint"], ["sequence_number", "bigint"], ["session_id", "string"],
      ["created_at", "timestamp"], ["ip_address", "string"], ["city", "string"], ["state", "string"],
      ["postal_code", "string"], ["browser", "string"], ["traffic_source", "string"], ["uri", "string"],
      ["event_type", "string"],
    ]
    products = [
      ["id", "bigint"], ["cost", "double"], ["category", "string"], ["name", "string"],
      ["brand", "string"], ["retail_price", "double"], ["department", "string"], ["sku", "string"],
      ["distribution_center_id", "bigint"],
    ]
    inventory_items = [
      ["id", "bigint"], ["product_id", "bigint"], ["created_at", "timestamp"], ["sold_at", "timestamp"],
      ["cost", "double"], ["product_category", "string"], ["product_name", "string"],
      ["product_brand", "string"], ["product_retail_price", "double"], ["product_department", "string"],
      ["product_sku", "string"], ["product_distribution_center_id", "bigint"],
    ]
    distribution_centers = [
      ["id", "bigint"], ["name", "string"], ["latitude", "double"], ["longitude", "double"],
    ]
  }

  # One S3 prefix per raw table: s3://<bucket>/<raw_prefix>/<table>/
  raw_table_prefixes = { for t in keys(local.raw_tables) : t => "${var.raw_prefix}/${t}/" }

  raw_bucket_arn = "arn:${local.partition}:s3:::${local.raw_bucket_name}"

  glue_catalog_arn  = "arn:${local.partition}:glue:${local.region}:${local.account}:catalog"
  glue_database_arn = "arn:${local.partition}:glue:${local.region}:${local.account}:database/${var.glue_database_name}"
  glue_table_arns   = [for t in keys(local.raw_tables) : "arn:${local.partition}:glue:${local.region}:${local.account}:table/${var.glue_database_name}/${t}"]

  workgroup_name  = "${var.name_prefix}-wg"
  namespace_name  = "${var.name_prefix}-ns"
  cluster_name    = "${var.name_prefix}-runner"
  task_family     = "${var.name_prefix}-dbt-build"
  log_group_name  = "/ecs/${var.name_prefix}/dbt-build"
  repository_name = "${var.name_prefix}/dbt"

  runner_role_name = "${var.name_prefix}-dbt-runner"
  # Redshift Serverless maps an IAM role that signs in with GetCredentials to this database user.
  runner_db_user = "IAMR:${local.runner_role_name}"
}
