/** The default policy's stages, with the silence threshold as a parameter. */
export function stagesYaml(silentAfter = '7 days'): string {
  return `stages:
  - stage: paying
    when: { since_last_payment: { lt: 35 days } }
  - stage: new
    when:
      all:
        - account_age: { lt: 14 days }
        - since_last_activity: { lt: ${silentAfter} }
  - stage: active
    when: { since_last_activity: { lt: ${silentAfter} } }
  - stage: silent
    when: { since_last_activity: { lt: 30 days } }
  - stage: churned
    otherwise: true`;
}

/** The default policy's stages with thresholds as parameters, and a churn warning to a test receiver. */
export function testPolicy(options: { hookUrl: string; silentAfter?: string; name?: string }): string {
  return `
name: ${options.name ?? 'test'}
${stagesYaml(options.silentAfter)}
triggers:
  - from: active
    to: silent
    warn: { webhook: "${options.hookUrl}" }
  - from: paying
    to: silent
    warn: { webhook: "${options.hookUrl}" }
`;
}
