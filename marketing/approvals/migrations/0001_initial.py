"""The approval engine becomes its own app (label ``approvals``) without touching a table.

The tables were created by ``marketing`` 0002 and keep their names (``Meta.db_table`` =
``marketing_<model>``), so this migration only *declares* the models in the ``approvals``
state (``SeparateDatabaseAndState`` with no database operation); ``marketing`` 0003 drops
them from the ``marketing`` state, again without a database operation. A fresh database
and one that already holds approval rows run the same steps: 0002 creates the tables,
these two migrations move the bookkeeping. The only rows changed are the content types
(``marketing.approvalflow`` -> ``approvals.approvalflow`` …), so permissions and admin log
entries that point at them stay attached."""

import django.db.models.deletion
import marketing.approvals.models
from django.conf import settings
from django.db import migrations, models


MODELS = ["approvalchain", "approvalchainstep", "approvalflow", "approvalstep", "approvaltask", "approvalcomment", "approvaldelegation", "approvaldigest"]


def relabel_content_types(apps, schema_editor, *, old="marketing", new="approvals"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=new, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.filter(app_label=old, model__in=[m for m in MODELS if m not in taken]).update(app_label=new)


def unlabel_content_types(apps, schema_editor):
    relabel_content_types(apps, schema_editor, old="approvals", new="marketing")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('marketing', '0002_approvals'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ApprovalChain',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('document_type', models.CharField(max_length=64, verbose_name='单据类型')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='更新人')),
                    ],
                    options={
                        'verbose_name': '审批流程',
                        'verbose_name_plural': '审批流程',
                        'db_table': 'marketing_approvalchain',
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalChainStep',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(verbose_name='顺序')),
                        ('name', models.CharField(max_length=60, verbose_name='步骤名称')),
                        ('kind', models.CharField(choices=[('approve', '审批签字'), ('verify', '审核核对'), ('record', '备案'), ('cc', '抄送')], default='approve', max_length=10, verbose_name='步骤类型')),
                        ('role', models.CharField(choices=[('tenant_admin', '系统管理员'), ('general_manager', '总经理'), ('executive_director', '执行董事'), ('gm_assistant', '总经理助理'), ('marketing_director', '市场营销总监'), ('marketing_specialist', '市场专员'), ('finance', '财务'), ('operations', '运营'), ('product_design', '产品设计部'), ('hr', '人事'), ('branch_gm', '分公司总经理'), ('branch_cashier', '分公司出纳'), ('regional_manager', '大区经理'), ('salesperson', '销售')], max_length=32, verbose_name='角色')),
                        ('scope', models.CharField(choices=[('tenant', '全公司该角色'), ('branch', '单据所属分公司的该角色')], default='tenant', max_length=10, verbose_name='范围')),
                        ('mode', models.CharField(choices=[('any', '或签（任一人）'), ('all', '会签（全部人）')], default='any', max_length=5, verbose_name='签署方式')),
                        ('condition', models.CharField(blank=True, max_length=200, verbose_name='条件')),
                        ('checklist', models.JSONField(blank=True, default=list, verbose_name='核对项')),
                        ('chain', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='approvals.approvalchain', verbose_name='流程')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                    ],
                    options={
                        'verbose_name': '审批步骤配置',
                        'verbose_name_plural': '审批步骤配置',
                        'db_table': 'marketing_approvalchainstep',
                        'ordering': ['chain', 'position'],
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalDelegation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('starts_on', models.DateField(verbose_name='开始日期')),
                        ('ends_on', models.DateField(verbose_name='结束日期')),
                        ('reason', models.CharField(blank=True, max_length=120, verbose_name='事由')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                        ('delegate', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='代理人')),
                        ('delegator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='委托人')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                    ],
                    options={
                        'verbose_name': '审批委托',
                        'verbose_name_plural': '审批委托',
                        'db_table': 'marketing_approvaldelegation',
                        'ordering': ['-starts_on', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalDigest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('pending_count', models.PositiveIntegerField(default=0)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '审批日报',
                        'verbose_name_plural': '审批日报',
                        'db_table': 'marketing_approvaldigest',
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalFlow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('document_type', models.CharField(max_length=64, verbose_name='单据类型')),
                        ('object_id', models.PositiveBigIntegerField(verbose_name='单据编号')),
                        ('title', models.CharField(max_length=200, verbose_name='标题')),
                        ('url', models.CharField(max_length=300, verbose_name='链接')),
                        ('status', models.CharField(choices=[('in_progress', '审批中'), ('approved', '已通过'), ('rejected', '已驳回'), ('withdrawn', '已撤回')], default='in_progress', max_length=12, verbose_name='状态')),
                        ('round', models.PositiveSmallIntegerField(default=1, verbose_name='轮次')),
                        ('current_position', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='当前步骤')),
                        ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                        ('started_at', models.DateTimeField(verbose_name='提交时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                        ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='申请人')),
                        ('branch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.branch', verbose_name='分公司')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                    ],
                    options={
                        'verbose_name': '审批单',
                        'verbose_name_plural': '审批单',
                        'db_table': 'marketing_approvalflow',
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalComment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(blank=True, verbose_name='内容')),
                        ('attachment', models.FileField(blank=True, upload_to=marketing.approvals.models.approval_upload_to, verbose_name='附件')),
                        ('attachment_name', models.CharField(blank=True, max_length=200, verbose_name='附件名')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='作者')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                        ('flow', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='approvals.approvalflow', verbose_name='审批单')),
                    ],
                    options={
                        'verbose_name': '审批意见',
                        'verbose_name_plural': '审批意见',
                        'db_table': 'marketing_approvalcomment',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalStep',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('round', models.PositiveSmallIntegerField(verbose_name='轮次')),
                        ('position', models.PositiveSmallIntegerField(verbose_name='顺序')),
                        ('name', models.CharField(max_length=60, verbose_name='步骤名称')),
                        ('kind', models.CharField(choices=[('approve', '审批签字'), ('verify', '审核核对'), ('record', '备案'), ('cc', '抄送')], max_length=10, verbose_name='步骤类型')),
                        ('role', models.CharField(choices=[('tenant_admin', '系统管理员'), ('general_manager', '总经理'), ('executive_director', '执行董事'), ('gm_assistant', '总经理助理'), ('marketing_director', '市场营销总监'), ('marketing_specialist', '市场专员'), ('finance', '财务'), ('operations', '运营'), ('product_design', '产品设计部'), ('hr', '人事'), ('branch_gm', '分公司总经理'), ('branch_cashier', '分公司出纳'), ('regional_manager', '大区经理'), ('salesperson', '销售')], max_length=32, verbose_name='角色')),
                        ('scope', models.CharField(choices=[('tenant', '全公司该角色'), ('branch', '单据所属分公司的该角色')], max_length=10, verbose_name='范围')),
                        ('mode', models.CharField(choices=[('any', '或签（任一人）'), ('all', '会签（全部人）')], max_length=5, verbose_name='签署方式')),
                        ('condition', models.CharField(blank=True, max_length=200, verbose_name='条件')),
                        ('checklist', models.JSONField(blank=True, default=list, verbose_name='核对项')),
                        ('status', models.CharField(choices=[('waiting', '待处理'), ('active', '处理中'), ('done', '已完成'), ('skipped', '不适用'), ('cancelled', '已终止')], default='waiting', max_length=10, verbose_name='状态')),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('flow', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='approvals.approvalflow', verbose_name='审批单')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                    ],
                    options={
                        'verbose_name': '审批步骤',
                        'verbose_name_plural': '审批步骤',
                        'db_table': 'marketing_approvalstep',
                        'ordering': ['flow', 'round', 'position'],
                    },
                ),
                migrations.CreateModel(
                    name='ApprovalTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', '待处理'), ('approved', '同意'), ('rejected', '驳回'), ('returned', '退回'), ('transferred', '已转交'), ('cancelled', '无需处理'), ('cc', '抄送')], default='pending', max_length=12, verbose_name='状态')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                        ('comment', models.TextField(blank=True, verbose_name='意见')),
                        ('checklist_values', models.JSONField(blank=True, default=dict, verbose_name='核对结果')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='到达时间')),
                        ('acted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='实际操作人')),
                        ('assignee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                        ('flow', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='approvals.approvalflow', verbose_name='审批单')),
                        ('step', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='approvals.approvalstep', verbose_name='步骤')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='marketing.tenant', verbose_name='租户')),
                        ('transferred_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='转交给')),
                    ],
                    options={
                        'verbose_name': '审批任务',
                        'verbose_name_plural': '审批任务',
                        'db_table': 'marketing_approvaltask',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='approvalchain',
                    constraint=models.UniqueConstraint(fields=('tenant', 'document_type'), name='approval_chain_unique_per_tenant'),
                ),
                migrations.AddConstraint(
                    model_name='approvalchainstep',
                    constraint=models.UniqueConstraint(fields=('chain', 'position'), name='approval_chain_step_position_unique'),
                ),
                migrations.AddConstraint(
                    model_name='approvaldelegation',
                    constraint=models.CheckConstraint(condition=models.Q(('ends_on__gte', models.F('starts_on'))), name='approval_delegation_dates_ordered'),
                ),
                migrations.AddConstraint(
                    model_name='approvaldelegation',
                    constraint=models.CheckConstraint(condition=models.Q(('delegate', models.F('delegator')), _negated=True), name='approval_delegation_not_self'),
                ),
                migrations.AddConstraint(
                    model_name='approvaldigest',
                    constraint=models.UniqueConstraint(fields=('tenant', 'user', 'day'), name='approval_digest_once_per_day'),
                ),
                migrations.AddIndex(
                    model_name='approvalflow',
                    index=models.Index(fields=['tenant', 'applicant', '-started_at'], name='approval_flow_applicant_idx'),
                ),
                migrations.AddConstraint(
                    model_name='approvalflow',
                    constraint=models.UniqueConstraint(fields=('tenant', 'document_type', 'object_id'), name='approval_flow_one_per_document'),
                ),
                migrations.AddConstraint(
                    model_name='approvalstep',
                    constraint=models.UniqueConstraint(fields=('flow', 'round', 'position'), name='approval_step_unique_position'),
                ),
                migrations.AddIndex(
                    model_name='approvaltask',
                    index=models.Index(fields=['assignee', 'status', 'created_at', 'id'], name='approval_task_inbox_idx'),
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unlabel_content_types),
    ]
