{% macro haversine_km(lat1, lon1, lat2, lon2) -%}
    {{ return(adapter.dispatch('haversine_km', 'customer_mart')(lat1, lon1, lat2, lon2)) }}
{%- endmacro %}

{#-
    Great-circle distance on a sphere of radius 6371 km. The inner term is capped at 1
    so that rounding near antipodal points never takes asin out of its domain.
-#}
{% macro default__haversine_km(lat1, lon1, lat2, lon2) -%}
    (2 * 6371.0 * asin(sqrt(least(1.0,
        power(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }}))
        * power(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
    ))))
{%- endmacro %}
