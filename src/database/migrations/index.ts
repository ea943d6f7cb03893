import { Foundation1732406400000 } from './1732406400000-Foundation';
import { MessagesAndTools1732406500000 } from './1732406500000-MessagesAndTools';
import { AgentSecrets1795573251348 } from './1795573251348-AgentSecrets';
import { ArchivalMemory1795573300000 } from './1795573300000-ArchivalMemory';
import { RunsAndSteps1795574000000 } from './1795574000000-RunsAndSteps';
import { McpServers1795574100000 } from './1795574100000-McpServers';
import { Auth1795575000000 } from './1795575000000-Auth';
import { EncryptMcpLocations1795575100000 } from './1795575100000-EncryptMcpLocations';
import { Identities1795576000000 } from './1795576000000-Identities';
import { StepMetricsAndApprovalLinks1795577000000 } from './1795577000000-StepMetricsAndApprovalLinks';
import { FoldersAndFiles1795578000000 } from './1795578000000-FoldersAndFiles';
import { ScheduledMessages1795579500000 } from './1795579500000-ScheduledMessages';
import { Conversations1796200000000 } from './1796200000000-Conversations';
import { RunCallbacks1796300000000 } from './1796300000000-RunCallbacks';
import { ProviderTraces1796400000000 } from './1796400000000-ProviderTraces';
import { AgentContextVersion1796600000000 } from './1796600000000-AgentContextVersion';
import { ArchivalSearchSpeed1796500000000 } from './1796500000000-ArchivalSearchSpeed';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list works from
 * compiled JS, from ts under Jest, and from the embedded start-up. Add new ones at the end.
 */
export const MIGRATIONS = [
  Foundation1732406400000,
  MessagesAndTools1732406500000,
  AgentSecrets1795573251348,
  ArchivalMemory1795573300000,
  RunsAndSteps1795574000000,
  McpServers1795574100000,
  Auth1795575000000,
  EncryptMcpLocations1795575100000,
  Identities1795576000000,
  StepMetricsAndApprovalLinks1795577000000,
  FoldersAndFiles1795578000000,
  ScheduledMessages1795579500000,
  Conversations1796200000000,
  RunCallbacks1796300000000,
  ProviderTraces1796400000000,
  ArchivalSearchSpeed1796500000000,
  AgentContextVersion1796600000000,
];
