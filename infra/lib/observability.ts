import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The alert topic. Encrypted with a key of its own: the AWS-managed SNS key does not let EventBridge or
 * CloudWatch alarms publish.
 */
export function createAlertTopic(scope: Construct, email?: string): sns.Topic {
  const key = new kms.Key(scope, 'AlertKey', { enableKeyRotation: true, description: 'pit-runner alert topic' });
  for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) key.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey');
  const topic = new sns.Topic(scope, 'Alerts', { masterKey: key, enforceSSL: true });
  if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}

/** Lets one EventBridge rule or CloudWatch alarm, and only it, publish to the topic. */
export function allowToPublish(topic: sns.Topic, service: 'events' | 'cloudwatch', sourceArn: string): void {
  topic.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`${service}.amazonaws.com`)],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { ArnEquals: { 'aws:SourceArn': sourceArn } },
  }));
}

/**
 * Gradings and failures per minute, counted from the runner's JSON log lines ("published" with the row's
 * final status), the queue's depth and oldest message, and an alarm on the dead-letter queue.
 */
export function createDashboard(scope: Construct, props: { name: string; logGroup: logs.ILogGroup; queue: sqs.IQueue; deadLetterQueue: sqs.IQueue; alerts: sns.Topic }) {
  const namespace = `pit-runner/${props.name}`;
  const published = logs.FilterPattern.stringValue('$.msg', '=', 'published');
  const count = (id: string, pattern: logs.IFilterPattern) => new logs.MetricFilter(scope, id, {
    logGroup: props.logGroup, filterPattern: pattern, metricNamespace: namespace, metricName: id, metricValue: '1', defaultValue: 0,
  }).metric({ statistic: 'Sum', period: Duration.minutes(1) });
  const gradings = count('Gradings', published);
  const failures = count('Failures', logs.FilterPattern.all(published, logs.FilterPattern.stringValue('$.status', '=', 'ERROR')));

  const minute = { period: Duration.minutes(1) };
  const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...minute, statistic: 'Maximum' });
  const alarm = new cloudwatch.Alarm(scope, 'DeadLettersAlarm', {
    alarmDescription: 'A submission message reached the dead-letter queue: see RUNBOOK.md, Queue/DLQ',
    metric: deadLetters, threshold: 0, evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new actions.SnsAction(props.alerts));
  allowToPublish(props.alerts, 'cloudwatch', alarm.alarmArn);

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { dashboardName: props.name });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Queue depth', left: [props.queue.metricApproximateNumberOfMessagesVisible({ ...minute, statistic: 'Maximum' }), props.queue.metricApproximateNumberOfMessagesNotVisible({ ...minute, statistic: 'Maximum' }), deadLetters] }),
    new cloudwatch.GraphWidget({ title: 'Age of the oldest message (s)', left: [props.queue.metricApproximateAgeOfOldestMessage({ ...minute, statistic: 'Maximum' })] }),
    new cloudwatch.GraphWidget({ title: 'Gradings and failures per minute', left: [gradings, failures] }),
  );
  return dashboard;
}
