-- The benchmark's reference: the marts computed by one plain DuckDB SQL script, without dbt or
-- Dagster, from the same landing files. It is the bare-engine floor the pipeline is measured
-- against, and an independent implementation its marts are compared with, so it is written from
-- the model definitions, not generated from them. No quarantine, lineage, tests or publishing:
-- rows that break the contract are simply left out.
--
-- The runner (tests/bench/reference.py) replaces @FILES_<ENTITY>@ with the entity's file list,
-- @SEEDS@ with dbt_project/seeds, and runs the stages below in order ("-- stage: name" starts
-- one). The block between "-- repeat:" and "-- until:" runs again while the "until" query
-- returns a count above zero: label propagation to convergence, which plain SQL cannot loop.

-- stage: load
create or replace macro clean_text(v) as nullif(trim(v), '');

create or replace macro utc_timestamp(v, formats, tz) as
case
    when regexp_matches(clean_text(v), '^\d{9,10}(\.\d+)?$')
        then timezone('UTC', to_timestamp(cast(clean_text(v) as double)))
    when regexp_matches(clean_text(v), '\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$')
        then timezone('UTC', try_cast(clean_text(v) as timestamptz))
    else timezone('UTC', timezone(tz, coalesce(
        try_cast(clean_text(v) as timestamp), try_strptime(clean_text(v), formats)
    )))
end;

-- The email platform sends ISO 8601 or epoch seconds only: no strptime formats to try.
create or replace macro utc_timestamp_iso(v, tz) as
case
    when regexp_matches(clean_text(v), '^\d{9,10}(\.\d+)?$')
        then timezone('UTC', to_timestamp(cast(clean_text(v) as double)))
    when regexp_matches(clean_text(v), '\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$')
        then timezone('UTC', try_cast(clean_text(v) as timestamptz))
    else timezone('UTC', timezone(tz, try_cast(clean_text(v) as timestamp)))
end;

create or replace macro one_of(v, allowed) as
case when list_contains(allowed, lower(clean_text(v))) then lower(clean_text(v)) end;

-- A present value that does not parse rejects the row; a missing one is fine unless required.
create or replace macro parses(v, typed) as (clean_text(v) is null or typed is not null);

create or replace macro phone_e164(v) as (
    with parts as (
        select
            regexp_replace(translate(v, '０１２３４５６７８９＋', '0123456789+'), '[^0-9]', '', 'g')
                as digits,
            starts_with(trim(translate(v, '０１２３４５６７８９＋', '0123456789+')), '+')
                as has_plus
    ),
    national as (
        select
            *,
            case
                when has_plus and starts_with(digits, '86') then substr(digits, 3)
                when has_plus then null
                when starts_with(digits, '0086') then substr(digits, 5)
                when regexp_matches(digits, '^861[3-9][0-9]{9}$') then substr(digits, 3)
                else digits
            end as national_number
        from parts
    )
    select
        case
            when has_plus and not starts_with(digits, '86') and length(digits) between 8 and 15
                then '+' || digits
            when regexp_matches(national_number, '^1[3-9][0-9]{9}$')
                then '+86' || national_number
            when regexp_matches(national_number, '^0[1-9][0-9]{8,10}$')
                then '+86' || substr(national_number, 2)
            when regexp_matches(national_number, '^[48]00[0-9]{7}$')
                then '+86' || national_number
        end
    from national
);

create or replace macro email_address(v) as
case
    when regexp_matches(
        lower(trim(coalesce(nullif(regexp_extract(v, '<([^>]*)>', 1), ''), v))),
        '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$'
    )
        then lower(trim(coalesce(nullif(regexp_extract(v, '<([^>]*)>', 1), ''), v)))
end;

create or replace macro credit_code(v) as
case
    when regexp_matches(
        upper(regexp_replace(v, '[[:space:]-]', '', 'g')),
        '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'
    )
        then upper(regexp_replace(v, '[[:space:]-]', '', 'g'))
end;

create or replace macro local_date(ts) as
cast(timezone('Asia/Shanghai', timezone('UTC', ts)) as date);

create or replace table landed_customers as
select
    cast(dt as date) as dt,
    filename,
    trim(customer_id) as customer_id,
    nullif(name, '') as name,
    nullif(company, '') as company,
    nullif(credit_code, '') as credit_code,
    nullif(phone, '') as phone,
    nullif(email, '') as email,
    nullif(wechat_id, '') as wechat_id,
    nullif(owner_rep, '') as owner_rep,
    nullif(region, '') as region,
    nullif(industry, '') as industry,
    utc_timestamp(
        created_at, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M'], 'Asia/Shanghai'
    ) as created_at,
    utc_timestamp(
        updated_at, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M'], 'Asia/Shanghai'
    ) as updated_at
from read_csv(
    @FILES_CRM_CUSTOMERS@, header = true, all_varchar = true, delim = ',', quote = '"',
    escape = '"', union_by_name = true, filename = true, hive_partitioning = true,
    ignore_errors = true
)
where clean_text(customer_id) is not null;

delete from landed_customers where created_at is null or updated_at is null;

create or replace table landed_activities as
select
    cast(dt as date) as dt,
    filename,
    trim(activity_id) as activity_id,
    trim(customer_id) as customer_id,
    nullif(trim(rep_id), '') as rep_id,
    one_of(activity_type, ['call', 'visit', 'meeting', 'wechat', 'sms', 'note']) as activity_type,
    one_of(direction, ['outbound', 'inbound']) as direction,
    utc_timestamp(
        occurred_at, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M'], 'Asia/Shanghai'
    ) as occurred_at,
    duration_seconds as duration_text,
    try_cast(clean_text(duration_seconds) as bigint) as duration_seconds,
    nullif(outcome, '') as outcome,
    nullif(subject, '') as subject
from read_csv(
    @FILES_CRM_ACTIVITIES@, header = true, all_varchar = true, delim = ',', quote = '"',
    escape = '"', union_by_name = true, filename = true, hive_partitioning = true,
    ignore_errors = true
)
where clean_text(activity_id) is not null and clean_text(customer_id) is not null;

delete from landed_activities
where
    activity_type is null or direction is null or occurred_at is null
    or not parses(duration_text, duration_seconds);

create or replace table landed_events as
select
    cast(dt as date) as dt,
    filename,
    trim(event_id) as event_id,
    one_of(
        event_type,
        ['sent', 'delivered', 'open', 'click', 'reply', 'bounce', 'unsubscribe', 'spam_report']
    ) as event_type,
    email_address(nullif(email, '')) as email_address,
    nullif(trim(campaign_id), '') as campaign_id,
    trim(message_id) as message_id,
    utc_timestamp_iso(occurred_at, 'Asia/Shanghai') as occurred_at
from read_json(
    @FILES_EMAIL_EVENTS@, format = 'newline_delimited', ignore_errors = true,
    filename = true, hive_partitioning = true,
    columns = {
        event_id: 'VARCHAR', event_type: 'VARCHAR', email: 'VARCHAR', campaign_id: 'VARCHAR',
        message_id: 'VARCHAR', occurred_at: 'VARCHAR', url: 'VARCHAR'
    }
)
where
    clean_text(event_id) is not null and clean_text(email) is not null
    and clean_text(message_id) is not null;

delete from landed_events where event_type is null or occurred_at is null;

create or replace table landed_orders as
with csv_and_parquet as (
    select
        dt, filename, order_id, buyer_email, buyer_phone, ordered_at, amount, currency, status,
        channel
    from read_csv(
        @FILES_ORDERS_ORDERS_CSV@, header = true, all_varchar = true, delim = ',', quote = '"',
        escape = '"', union_by_name = true, filename = true, hive_partitioning = true,
        ignore_errors = true
    )
    union all by name
    select
        dt,
        filename,
        cast(order_id as varchar) as order_id,
        cast(buyer_email as varchar) as buyer_email,
        cast(buyer_phone as varchar) as buyer_phone,
        cast(ordered_at as varchar) as ordered_at,
        cast(amount as varchar) as amount,
        cast(currency as varchar) as currency,
        cast(status as varchar) as status,
        cast(channel as varchar) as channel
    from read_parquet(
        @FILES_ORDERS_ORDERS_PARQUET@, filename = true, hive_partitioning = true,
        union_by_name = true
    )
)
select
    cast(dt as date) as dt,
    filename,
    trim(order_id) as order_id,
    email_address(nullif(buyer_email, '')) as buyer_email_address,
    phone_e164(nullif(buyer_phone, '')) as buyer_phone_e164,
    utc_timestamp(
        ordered_at, ['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M'], 'Asia/Shanghai'
    ) as ordered_at,
    try_cast(clean_text(amount) as decimal(18, 2)) as amount,
    case upper(clean_text(currency))
        when 'CNY' then 'CNY' when 'USD' then 'USD' when 'EUR' then 'EUR' when 'HKD' then 'HKD'
    end as currency,
    one_of(status, ['paid', 'refunded', 'cancelled']) as order_status,
    nullif(trim(channel), '') as sales_channel
from csv_and_parquet
where clean_text(order_id) is not null;

delete from landed_orders
where ordered_at is null or amount is null or currency is null or order_status is null;

set variable as_of_date = (
    select max(dt) from (
        select max(dt) as dt from landed_customers
        union all select max(dt) from landed_activities
        union all select max(dt) from landed_events
        union all select max(dt) from landed_orders
    )
);

-- stage: dedupe
-- Copies of a key: the latest delivery wins (customers: the latest updated_at first); email
-- events are delivered at least once, so their first delivery wins.
create or replace table customers as
select
    'crm:' || customer_id as record_key,
    customer_id,
    nullif(trim(name), '') as customer_name,
    nullif(trim(company), '') as company_name,
    credit_code(credit_code) as credit_code,
    phone_e164(phone) as phone_e164,
    email_address(email) as email_address,
    nullif(lower(trim(wechat_id)), '') as wechat_id,
    nullif(trim(owner_rep), '') as owner_rep_id,
    nullif(trim(region), '') as region,
    nullif(trim(industry), '') as industry,
    created_at,
    updated_at
from (
    select
        *,
        row_number() over (
            partition by customer_id order by updated_at desc, dt desc, filename desc
        ) as copy_rank
    from landed_customers
)
where copy_rank = 1;

create or replace table activities as
select * exclude (copy_rank, dt, filename, duration_text)
from (
    select
        *,
        row_number() over (partition by activity_id order by dt desc, filename desc) as copy_rank
    from landed_activities
)
where copy_rank = 1;

create or replace table events as
select * exclude (copy_rank, dt, filename)
from (
    select
        *,
        row_number() over (partition by event_id order by dt, filename) as copy_rank
    from landed_events
)
where copy_rank = 1;

create or replace table orders as
select * exclude (copy_rank, dt, filename)
from (
    select
        *,
        row_number() over (partition by order_id order by dt desc, filename desc) as copy_rank
    from landed_orders
)
where copy_rank = 1;

-- stage: stitch
-- Records of the identity graph: CRM customers, email addresses, order buyers (the pair of
-- usable identifiers on an order); one row per record and identifier.
create or replace table record_identifiers as
with buyers as (
    select
        'buyer:' || coalesce(buyer_email_address, '') || '|' || coalesce(buyer_phone_e164, '')
            as record_key,
        buyer_email_address,
        buyer_phone_e164,
        min(ordered_at) as first_seen_at,
        max(ordered_at) as last_seen_at
    from orders
    where buyer_email_address is not null or buyer_phone_e164 is not null
    group by buyer_email_address, buyer_phone_e164
),

per_record as (
    select
        record_key, 'crm_customer' as record_type, 'crm' as source,
        unnest([
            {'t': 'crm_customer_id', 'v': customer_id},
            {'t': 'email', 'v': email_address},
            {'t': 'phone', 'v': phone_e164},
            {'t': 'wechat_id', 'v': wechat_id}
        ]) as identifier,
        created_at as first_seen_at,
        updated_at as last_seen_at
    from customers
    union all
    select
        'email:' || email_address, 'email_address', 'email',
        {'t': 'email', 'v': email_address},
        min(occurred_at), max(occurred_at)
    from events
    where email_address is not null
    group by email_address
    union all
    select
        record_key, 'order_buyer', 'orders',
        unnest([{'t': 'email', 'v': buyer_email_address}, {'t': 'phone', 'v': buyer_phone_e164}]),
        first_seen_at, last_seen_at
    from buyers
)

select
    record_key, record_type, source, identifier.t as identifier_type,
    identifier.v as identifier_value, first_seen_at, last_seen_at
from per_record
where identifier.v is not null;

-- Junk identifiers (a blocklisted pattern, or more than 3 CRM records) never link records.
create or replace table identifier_usage as
with usage as (
    select
        identifier_type,
        identifier_value,
        count(distinct record_key) filter (where record_type = 'crm_customer')
            as crm_record_count,
        count(distinct record_key) as record_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from record_identifiers
    where identifier_type <> 'crm_customer_id'
    group by all
),

blocklisted as (
    select usage.identifier_type, usage.identifier_value, min(blocklist.reason) as reason
    from usage
    inner join read_csv('@SEEDS@/identifier_blocklist.csv', header = true) as blocklist
        on
            usage.identifier_type = blocklist.identifier_type
            and regexp_matches(usage.identifier_value, blocklist.pattern)
    group by all
)

select
    usage.*,
    blocklisted.reason is not null or usage.crm_record_count > 3 as is_junk,
    coalesce(
        blocklisted.reason,
        case
            when usage.crm_record_count > 3
                then 'shared by ' || usage.crm_record_count || ' CRM records (more than 3)'
        end
    ) as junk_reason
from usage
left join blocklisted using (identifier_type, identifier_value);

create or replace table graph_records as
select
    record_key,
    min(record_type) as record_type,
    min(first_seen_at) as first_seen_at,
    row_number() over (order by min(first_seen_at), record_key) as record_rank
from record_identifiers
group by record_key;

create or replace table graph_edges as
with links as (
    select record_key, identifier_type || ':' || identifier_value as link
    from record_identifiers
    anti join (select * from identifier_usage where is_junk) as junk
        using (identifier_type, identifier_value)
    union all
    select record_key, 'record:' || record_key from graph_records
)
select graph_records.record_rank, dense_rank() over (order by links.link) as link_id
from links
inner join graph_records using (record_key);

create or replace table labels as
select record_rank, record_rank as component_rank from graph_records;

-- repeat:
create or replace table link_labels as
select graph_edges.link_id, min(labels.component_rank) as component_rank
from graph_edges
inner join labels using (record_rank)
group by graph_edges.link_id;

create or replace table next_labels as
select graph_edges.record_rank, min(link_labels.component_rank) as component_rank
from graph_edges
inner join link_labels using (link_id)
group by graph_edges.record_rank;

create or replace table moved as
select count(*) as moved
from labels
inner join next_labels using (record_rank)
where labels.component_rank <> next_labels.component_rank;

create or replace table labels as select * from next_labels;
-- until: select moved from moved

create or replace table clustered as
select
    graph_records.record_key,
    graph_records.record_type,
    graph_records.first_seen_at,
    md5(anchors.record_key) as customer_key
from graph_records
inner join labels using (record_rank)
inner join graph_records as anchors on labels.component_rank = anchors.record_rank;

-- stage: facts
create or replace table resolved_activities as
select activities.*, coalesce(clustered.customer_key, 'unresolved') as customer_key
from activities
left join clustered on clustered.record_key = 'crm:' || activities.customer_id;

create or replace table resolved_events as
select events.*, coalesce(clustered.customer_key, 'unresolved') as customer_key
from events
left join clustered on clustered.record_key = 'email:' || events.email_address;

create or replace table resolved_orders as
select orders.*, coalesce(clustered.customer_key, 'unresolved') as customer_key
from orders
left join clustered
    on clustered.record_key = 'buyer:' || coalesce(orders.buyer_email_address, '') || '|'
    || coalesce(orders.buyer_phone_e164, '');

create or replace table weights as
select * from read_csv(
    '@SEEDS@/interaction_weights.csv', header = true, types = {'weight': 'decimal(4, 2)'}
);

create or replace table fct_interactions as
with messages as (
    select
        message_id,
        min(customer_key) as customer_key,
        min(campaign_id) as campaign_id,
        coalesce(min(occurred_at) filter (where event_type = 'sent'), min(occurred_at)) as sent_at,
        min(occurred_at) filter (where event_type = 'delivered') as delivered_at
    from resolved_events
    group by message_id
),

-- An open within 120 s (var machine_open_max_seconds_after_delivery) after the message's first
-- delivered event was fired by a mail privacy proxy, not a person: a machine_open, no response.
reactions as (
    select
        resolved_events.message_id,
        if(
            resolved_events.event_type = 'open'
            and resolved_events.occurred_at
            between messages.delivered_at and messages.delivered_at + interval 120 second,
            'machine_open', resolved_events.event_type
        ) as event_type,
        min(resolved_events.occurred_at) as occurred_at
    from resolved_events
    inner join messages using (message_id)
    where resolved_events.event_type <> 'sent'
    group by all
),

interactions as (
    select
        'activity:' || activity_id as interaction_id, customer_key, occurred_at,
        activity_type as interaction_type, direction, direction = 'inbound' as is_customer_initiated,
        rep_id, duration_seconds, null::varchar as campaign_id, activity_id as source_record_id
    from resolved_activities
    union all
    select
        'email_message:' || message_id, customer_key, sent_at, 'email_message', 'outbound', false,
        null, null, campaign_id, message_id
    from messages
    union all
    select
        'email_' || reactions.event_type || ':' || reactions.message_id, messages.customer_key,
        reactions.occurred_at, 'email_' || reactions.event_type,
        if(reactions.event_type in ('delivered', 'bounce'), 'outbound', 'inbound'), false,
        null, null, messages.campaign_id, reactions.message_id
    from reactions
    inner join messages using (message_id)
    union all
    select
        'order:' || order_id, customer_key, ordered_at, 'order', 'inbound', true, null, null, null,
        order_id
    from resolved_orders
),

classified as (
    select
        interactions.*,
        weights.channel,
        weights.weight,
        weights.is_touch and interactions.direction = 'outbound' as is_touch,
        weights.is_response and interactions.direction = 'inbound' as is_response
    from interactions
    inner join weights using (interaction_type)
),

-- The first response strictly after each interaction (in time, then id) within the customer.
sequenced as (
    select
        *,
        min(occurred_at) filter (where is_response) over (
            partition by customer_key order by occurred_at, interaction_id
            rows between 1 following and unbounded following
        ) as next_response_at
    from classified
)

select
    interaction_id,
    customer_key,
    customer_key = 'unresolved' as is_unresolved,
    occurred_at,
    local_date(occurred_at) as occurred_date,
    channel,
    interaction_type,
    direction,
    is_customer_initiated,
    is_touch,
    is_response,
    weight,
    rep_id,
    duration_seconds,
    campaign_id,
    source_record_id,
    if(is_touch, coalesce(next_response_at <= occurred_at + interval 7 day, false), null)
        as responded,
    if(is_touch and next_response_at <= occurred_at + interval 7 day, next_response_at, null)
        as first_response_at
from sequenced;

create or replace table fct_orders as
select
    resolved_orders.order_id,
    resolved_orders.customer_key,
    resolved_orders.customer_key = 'unresolved' as is_unresolved,
    resolved_orders.ordered_at,
    local_date(resolved_orders.ordered_at) as order_date,
    resolved_orders.amount,
    resolved_orders.currency,
    -- in CNY, the default reporting currency: an exact decimal product, rounded once
    cast(resolved_orders.amount * rates.rate_to_cny as decimal(18, 2)) as reporting_amount,
    resolved_orders.sales_channel
from resolved_orders
inner join read_csv(
    '@SEEDS@/currency_rates.csv', header = true, types = {'rate_to_cny': 'decimal(18, 6)'}
) as rates using (currency)
where resolved_orders.order_status = 'paid';

-- stage: customers
create or replace table bridge_customer_identifiers as
select
    clustered.customer_key,
    record_identifiers.identifier_type,
    record_identifiers.identifier_value,
    record_identifiers.source,
    min(record_identifiers.first_seen_at) as first_seen_at,
    max(record_identifiers.last_seen_at) as last_seen_at,
    count(*) as record_count,
    coalesce(any_value(identifier_usage.is_junk), false) as is_junk
from record_identifiers
inner join clustered using (record_key)
left join identifier_usage using (identifier_type, identifier_value)
group by all;

create or replace table mart_junk_identifiers as
select * exclude (is_junk) from identifier_usage where is_junk;

create or replace table dim_customer as
with crm as (
    select
        clustered.customer_key,
        customers.*,
        cast(customers.updated_at as varchar) || '|' || customers.customer_id as recency
    from customers
    inner join clustered using (record_key)
),

crm_attributes as (
    select
        customer_key,
        max_by(customer_name, if(customer_name is null, null, recency)) as customer_name,
        max_by(company_name, if(company_name is null, null, recency)) as company_name,
        max_by(credit_code, if(credit_code is null, null, recency)) as credit_code,
        max_by(owner_rep_id, if(owner_rep_id is null, null, recency)) as owner_rep_id,
        max_by(region, if(region is null, null, recency)) as region,
        max_by(industry, if(industry is null, null, recency)) as industry,
        string_agg(customer_id, ', ' order by customer_id) as crm_customer_ids,
        count(*) as crm_record_count
    from crm
    group by customer_key
),

contact_points as (
    select
        customer_key,
        max_by(identifier_value, preference) filter (where identifier_type = 'phone')
            as primary_phone_e164,
        max_by(identifier_value, preference) filter (where identifier_type = 'email')
            as primary_email_address
    from (
        select
            *,
            if(is_junk, '0', '1') || if(source = 'crm', '1', '0')
            || cast(last_seen_at as varchar) || identifier_value as preference
        from bridge_customer_identifiers
    )
    group by customer_key
),

coverage as (
    select
        customer_key,
        min(first_seen_at) as first_seen_at,
        bool_or(record_type = 'crm_customer') as is_in_crm,
        bool_or(record_type = 'email_address') as is_in_email,
        bool_or(record_type = 'order_buyer') as is_in_orders
    from clustered
    group by customer_key
),

first_orders as (
    select customer_key, min(ordered_at) as first_order_at
    from resolved_orders
    where order_status <> 'cancelled'
    group by customer_key
)

select
    coverage.customer_key,
    crm_attributes.customer_name,
    crm_attributes.company_name,
    crm_attributes.credit_code,
    contact_points.primary_phone_e164,
    contact_points.primary_email_address,
    crm_attributes.crm_customer_ids,
    coalesce(crm_attributes.crm_record_count, 0) as crm_record_count,
    crm_attributes.owner_rep_id,
    crm_attributes.region,
    crm_attributes.industry,
    coverage.first_seen_at,
    first_orders.first_order_at,
    coverage.is_in_crm,
    coverage.is_in_email,
    coverage.is_in_orders,
    false as is_unresolved_bucket
from coverage
left join crm_attributes using (customer_key)
left join contact_points using (customer_key)
left join first_orders using (customer_key)
union all
select
    'unresolved', null, null, null, null, null, null, 0, null, null, null, null,
    (select min(ordered_at) from resolved_orders where customer_key = 'unresolved'),
    false, false,
    exists (select 1 from resolved_orders where customer_key = 'unresolved'),
    true;

-- stage: rfm
create or replace table mart_customer_rfm as
with paid as (
    select * from fct_orders
    where not is_unresolved and order_date <= getvariable('as_of_date')
),

purchase_days as (
    select customer_key, order_date, sum(reporting_amount) as revenue
    from paid
    group by all
),

per_customer as (
    select
        customer_key,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) - 1 as lifetimes_frequency
    from purchase_days
    group by customer_key
),

repeats as (
    -- to the cent, rounded half up from the exact mean (avg's double would round 4392.565 down)
    select
        purchase_days.customer_key,
        cast(
            round(
                cast(sum(purchase_days.revenue * 100) as double) / count(purchase_days.revenue)
            ) / 100
            as decimal(18, 2)
        ) as mean_repeat_revenue
    from purchase_days
    inner join per_customer using (customer_key)
    where purchase_days.order_date > per_customer.first_order_date
    group by purchase_days.customer_key
),

trailing_year as (
    select customer_key, count(*) as frequency_orders, sum(reporting_amount) as monetary
    from paid
    where order_date > getvariable('as_of_date') - interval 365 day
    group by customer_key
),

measured as (
    select
        per_customer.customer_key,
        per_customer.first_order_date,
        per_customer.last_order_date,
        date_diff('day', per_customer.last_order_date, getvariable('as_of_date')) as recency_days,
        coalesce(trailing_year.frequency_orders, 0) as frequency_orders,
        coalesce(trailing_year.monetary, 0) as monetary,
        per_customer.lifetimes_frequency,
        date_diff('day', per_customer.first_order_date, per_customer.last_order_date)
            as lifetimes_recency,
        date_diff('day', per_customer.first_order_date, getvariable('as_of_date')) as lifetimes_t,
        coalesce(repeats.mean_repeat_revenue, 0) as lifetimes_monetary_value
    from per_customer
    left join trailing_year using (customer_key)
    left join repeats using (customer_key)
),

-- Quintiles over all customers; tied values share the lowest rank, hence the same score.
scored as (
    select
        *,
        cast(1 + floor(5.0 * (rank() over (order by recency_days desc) - 1) / count(*) over ())
            as integer) as r_score,
        cast(1 + floor(5.0 * (rank() over (order by frequency_orders) - 1) / count(*) over ())
            as integer) as f_score,
        cast(1 + floor(5.0 * (rank() over (order by monetary) - 1) / count(*) over ())
            as integer) as m_score
    from measured
)

select
    scored.customer_key,
    getvariable('as_of_date') as as_of_date,
    scored.first_order_date,
    scored.last_order_date,
    scored.recency_days,
    scored.frequency_orders,
    scored.monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    segments.rfm_code,
    segments.rfm_segment,
    scored.lifetimes_frequency,
    scored.lifetimes_recency,
    scored.lifetimes_t,
    scored.lifetimes_monetary_value
from scored
inner join read_csv('@SEEDS@/rfm_segments.csv', header = true) as segments
    on segments.rfm_code = scored.r_score * 100 + scored.f_score * 10 + scored.m_score;

-- stage: cadence
create or replace table mart_customer_cadence as
with interactions as (
    select
        *,
        is_response or is_customer_initiated or (is_touch and channel <> 'email')
            as is_engagement,
        date_diff('day', occurred_date, getvariable('as_of_date')) as days_ago
    from fct_interactions
    where not is_unresolved and occurred_date <= getvariable('as_of_date')
),

windowed as (
    select
        customer_key,
        count(*) filter (where is_touch and days_ago < 7) as touches_7d,
        coalesce(sum(weight) filter (where is_touch and days_ago < 7), 0) as weighted_touches_7d,
        count(*) filter (where is_customer_initiated and days_ago < 7) as customer_initiated_7d,
        count(*) filter (where is_touch and days_ago < 30) as touches_30d,
        coalesce(sum(weight) filter (where is_touch and days_ago < 30), 0)
            as weighted_touches_30d,
        count(*) filter (where is_customer_initiated and days_ago < 30) as customer_initiated_30d,
        count(*) filter (where is_touch and days_ago < 90) as touches_90d,
        coalesce(sum(weight) filter (where is_touch and days_ago < 90), 0)
            as weighted_touches_90d,
        count(*) filter (where is_customer_initiated and days_ago < 90) as customer_initiated_90d,
        count(*) filter (where is_touch and days_ago < 180) as touches_180d,
        coalesce(sum(weight) filter (where is_touch and days_ago < 180), 0)
            as weighted_touches_180d,
        count(*) filter (where is_customer_initiated and days_ago < 180)
            as customer_initiated_180d,
        count(*) filter (where is_engagement and days_ago < 30) as engagement_last_30d,
        count(*) filter (where is_engagement and days_ago >= 30 and days_ago < 120)
            as engagement_prior_90d,
        max(occurred_at) filter (where is_touch) as last_touch_at,
        max(occurred_date) filter (where is_touch) as last_touch_date,
        max(occurred_date) filter (where is_customer_initiated) as last_customer_initiated_date,
        max(occurred_at) filter (where is_response) as last_response_at,
        max_by(channel, occurred_at) filter (where is_touch) as last_touch_channel
    from interactions
    group by customer_key
),

touch_days as (
    select customer_key, occurred_date, count(*) as touches
    from interactions
    where is_touch
    group by all
),

-- Gaps between touch days, and bursts: >= 5 touches within 3 days after >= 60 silent days.
gaps as (
    select
        *,
        date_diff(
            'day',
            lag(occurred_date) over (partition by customer_key order by occurred_date),
            occurred_date
        ) as gap_days,
        sum(touches) over (
            partition by customer_key order by occurred_date
            range between current row and interval 2 day following
        ) as touches_in_burst_window,
        occurred_date = max(occurred_date) over (partition by customer_key) as is_last_touch_day
    from touch_days
),

gap_summary as (
    select
        customer_key,
        median(gap_days) filter (
            where occurred_date > getvariable('as_of_date') - interval 365 day
        ) as median_gap_days,
        max(occurred_date) filter (where gap_days >= 60 and touches_in_burst_window >= 5)
            as last_burst_date,
        max(gap_days) filter (where is_last_touch_day) as last_gap_days
    from gaps
    group by customer_key
),

tiers as (
    select segments.rfm_segment, segments.tier, targets.* exclude (tier)
    from read_csv('@SEEDS@/tier_by_segment.csv', header = true) as segments
    inner join read_csv('@SEEDS@/tier_cadence_targets.csv', header = true) as targets
        using (tier)
),

measured as (
    select
        dim_customer.customer_key,
        dim_customer.customer_name,
        dim_customer.owner_rep_id,
        coalesce(rfm.rfm_segment, 'No Purchases') as rfm_segment,
        rfm.monetary,
        rfm.m_score,
        coalesce(windowed.touches_7d, 0) as touches_7d,
        coalesce(windowed.weighted_touches_7d, 0) as weighted_touches_7d,
        coalesce(windowed.customer_initiated_7d, 0) as customer_initiated_7d,
        coalesce(windowed.touches_30d, 0) as touches_30d,
        coalesce(windowed.weighted_touches_30d, 0) as weighted_touches_30d,
        coalesce(windowed.customer_initiated_30d, 0) as customer_initiated_30d,
        coalesce(windowed.touches_90d, 0) as touches_90d,
        coalesce(windowed.weighted_touches_90d, 0) as weighted_touches_90d,
        coalesce(windowed.customer_initiated_90d, 0) as customer_initiated_90d,
        coalesce(windowed.touches_180d, 0) as touches_180d,
        coalesce(windowed.weighted_touches_180d, 0) as weighted_touches_180d,
        coalesce(windowed.customer_initiated_180d, 0) as customer_initiated_180d,
        gap_summary.median_gap_days,
        gap_summary.last_gap_days,
        windowed.last_touch_at,
        windowed.last_touch_channel,
        windowed.last_response_at,
        date_diff('day', windowed.last_touch_date, getvariable('as_of_date'))
            as days_since_last_touch,
        date_diff('day', windowed.last_customer_initiated_date, getvariable('as_of_date'))
            as days_since_last_customer_initiated,
        date_diff(
            'day',
            greatest(
                local_date(dim_customer.first_seen_at),
                (select min(occurred_date) from interactions)
            ),
            getvariable('as_of_date')
        ) as days_observed,
        gap_summary.last_burst_date,
        coalesce(windowed.engagement_last_30d, 0) as engagement_last_30d,
        coalesce(windowed.engagement_prior_90d, 0) as engagement_prior_90d
    from dim_customer
    left join mart_customer_rfm as rfm using (customer_key)
    left join windowed using (customer_key)
    left join gap_summary using (customer_key)
    where not dim_customer.is_unresolved_bucket
),

targeted as (
    select
        measured.*,
        tiers.tier,
        tiers.min_touches_per_30_days,
        tiers.max_touches_per_30_days,
        30.0 / tiers.min_touches_per_30_days as expected_gap_days,
        if(
            engagement_prior_90d > 0,
            (engagement_last_30d / 30.0) / (engagement_prior_90d / 90.0),
            null
        ) as frequency_trend,
        coalesce(
            engagement_prior_90d >= 6
            and engagement_last_30d <= 0.5 * engagement_prior_90d / 3.0
            and engagement_prior_90d / 3.0 - engagement_last_30d
            >= 1 * sqrt(engagement_prior_90d / 3.0),
            false
        ) as is_declining
    from measured
    inner join tiers using (rfm_segment)
)

select
    customer_key,
    getvariable('as_of_date') as as_of_date,
    customer_name,
    owner_rep_id,
    rfm_segment,
    tier,
    monetary,
    m_score,
    touches_7d, weighted_touches_7d, customer_initiated_7d,
    touches_30d, weighted_touches_30d, customer_initiated_30d,
    touches_90d, weighted_touches_90d, customer_initiated_90d,
    touches_180d, weighted_touches_180d, customer_initiated_180d,
    median_gap_days,
    last_gap_days,
    last_touch_at,
    last_touch_channel,
    last_response_at,
    days_since_last_touch,
    days_since_last_customer_initiated,
    days_observed,
    min_touches_per_30_days,
    max_touches_per_30_days,
    expected_gap_days,
    case
        when touches_30d > max_touches_per_30_days then 'over_contacted'
        when coalesce(days_since_last_touch, days_observed) > expected_gap_days then 'neglected'
        when coalesce(days_since_last_touch, days_observed) > expected_gap_days * 0.75
            then 'due_soon'
        else 'on_track'
    end as cadence_status,
    coalesce(last_burst_date > getvariable('as_of_date') - interval 180 day, false)
        as has_recent_burst,
    last_burst_date,
    engagement_last_30d,
    engagement_prior_90d,
    frequency_trend,
    is_declining,
    if(
        is_declining,
        'engagement fell to ' || cast(round(100 * frequency_trend) as integer)
        || '% of its prior rate: ' || engagement_last_30d || ' in the last 30 days against '
        || engagement_prior_90d || ' in the 90 days before ('
        || cast(round(engagement_prior_90d / 3.0) as integer) || ' expected)',
        null
    ) as decline_reason
from targeted;

create or replace table mart_followup_queue as
select
    owner_rep_id,
    row_number() over (
        partition by owner_rep_id
        order by value_weight * days_overdue desc, days_overdue desc, customer_key
    ) as queue_rank,
    customer_key,
    customer_name,
    tier,
    rfm_segment,
    cadence_status,
    monetary,
    value_weight,
    days_since_last_touch,
    expected_gap_days,
    days_overdue,
    value_weight * days_overdue as priority_score,
    last_touch_at,
    last_touch_channel,
    last_response_at,
    as_of_date
from (
    select
        *,
        coalesce(days_since_last_touch, days_observed) - expected_gap_days as days_overdue,
        coalesce(m_score, 1) as value_weight
    from mart_customer_cadence
    where cadence_status in ('neglected', 'due_soon') and owner_rep_id is not null
);

-- stage: monthly
create or replace table mart_customer_monthly as
with interaction_months as (
    select
        customer_key,
        date_trunc('month', occurred_date) as month_start,
        count(*) filter (where is_touch) as touches,
        count(*) filter (where is_touch and channel = 'phone') as touches_phone,
        count(*) filter (where is_touch and channel = 'visit') as touches_visit,
        count(*) filter (where is_touch and channel = 'meeting') as touches_meeting,
        count(*) filter (where is_touch and channel = 'wechat') as touches_wechat,
        count(*) filter (where is_touch and channel = 'sms') as touches_sms,
        count(*) filter (where is_touch and channel = 'email') as touches_email,
        coalesce(sum(weight) filter (where is_touch), 0) as weighted_touches,
        count(*) filter (where is_response) as responses,
        count(*) filter (where is_customer_initiated) as customer_initiated
    from fct_interactions
    group by all
),

order_months as (
    select
        customer_key,
        date_trunc('month', order_date) as month_start,
        count(*) as orders,
        sum(reporting_amount) as revenue
    from fct_orders
    group by all
)

select
    customer_key,
    cast(month_start as date) as month_start,
    coalesce(touches, 0) as touches,
    coalesce(touches_phone, 0) as touches_phone,
    coalesce(touches_visit, 0) as touches_visit,
    coalesce(touches_meeting, 0) as touches_meeting,
    coalesce(touches_wechat, 0) as touches_wechat,
    coalesce(touches_sms, 0) as touches_sms,
    coalesce(touches_email, 0) as touches_email,
    coalesce(weighted_touches, 0) as weighted_touches,
    coalesce(responses, 0) as responses,
    coalesce(customer_initiated, 0) as customer_initiated,
    coalesce(orders, 0) as orders,
    coalesce(revenue, 0) as revenue
from interaction_months
full outer join order_months using (customer_key, month_start);

-- stage: channels
create or replace table mart_channel_effectiveness as
with timeline as (
    select customer_key, occurred_at, occurred_date, channel, responded, false as is_order
    from fct_interactions
    where is_touch and not is_unresolved and occurred_date <= getvariable('as_of_date')
    union all
    select customer_key, ordered_at, null, null, null, true
    from fct_orders
    where not is_unresolved and order_date <= getvariable('as_of_date')
),

-- The first paid order after each touch; an order at the same instant is not after it.
with_next_order as (
    select
        *,
        min(occurred_at) filter (where is_order) over (
            partition by customer_key order by occurred_at, is_order desc
            rows between 1 following and unbounded following
        ) as next_order_at
    from timeline
),

classified as (
    select
        with_next_order.channel,
        coalesce(rfm.rfm_segment, 'No Purchases') as rfm_segment,
        cast(date_trunc('month', with_next_order.occurred_date) as date) as month_start,
        with_next_order.responded,
        coalesce(next_order_at <= occurred_at + interval 7 day, false) as converted_7d,
        coalesce(next_order_at <= occurred_at + interval 30 day, false) as converted_30d
    from with_next_order
    left join mart_customer_cadence as rfm using (customer_key)
    where not with_next_order.is_order
)

select
    channel,
    rfm_segment,
    month_start,
    count(*) as touches,
    count(*) filter (where responded) as responses,
    count(*) filter (where responded) * 1.0 / count(*) as response_rate,
    count(*) filter (where converted_7d) as touches_with_order_7d,
    count(*) filter (where converted_30d) as touches_with_order_30d,
    count(*) filter (where converted_7d) * 1.0 / count(*) as conversion_rate_7d,
    count(*) filter (where converted_30d) * 1.0 / count(*) as conversion_rate_30d,
    last_day(month_start) + interval 30 day <= getvariable('as_of_date') as is_window_complete
from classified
group by channel, rfm_segment, month_start;
