#!/usr/bin/env bash
# One-time database setup after the first `terraform apply` (README.md, step 4).
#
# Runs the statements of `terraform output bootstrap_sql` as the namespace's admin, through the
# Redshift Data API with the admin secret Redshift keeps in Secrets Manager, so no network path
# to the private workgroup is needed. They create the database user the dbt task signs in as
# (IAMR:<runner role>), let it create its schema, create the Spectrum external schema over the
# Glue database, owned by that user, and create the analysts' group (var.analysts_group, the
# task's ANALYSTS_GROUP) that every build grants the marts to. Statements that were already
# applied ("already exists") are passed over, so the script can be rerun.
#
# Needs: terraform (with this configuration's state), the AWS CLI v2, python3, and credentials
# allowed redshift-data:ExecuteStatement/DescribeStatement, secretsmanager:GetSecretValue on the
# admin secret and kms:Decrypt on the platform key.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

output() { terraform output -raw "$1"; }

region=$(output aws_region)
workgroup=$(output redshift_workgroup_name)
database=$(output redshift_database)
secret=$(output redshift_admin_secret_arn)
mapfile -t statements < <(terraform output -json bootstrap_sql |
    python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)))')

for sql in "${statements[@]}"; do
    echo "==> $sql"
    id=$(aws redshift-data execute-statement --region "$region" --workgroup-name "$workgroup" \
        --database "$database" --secret-arn "$secret" --sql "$sql" --query Id --output text)
    while :; do
        IFS=$'\t' read -r status error < <(aws redshift-data describe-statement --region "$region" \
            --id "$id" --query '[Status, Error]' --output text)
        case "$status" in
            FINISHED)
                echo "    done"
                break
                ;;
            FAILED | ABORTED)
                if [[ "$error" == *"already exists"* ]]; then
                    echo "    already applied: $error"
                    break
                fi
                echo "    $status: $error" >&2
                exit 1
                ;;
            *) sleep 2 ;;
        esac
    done
done
echo "Database ready: the dbt task signs in as $(output redshift_dbt_user)."
