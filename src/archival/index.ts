/**
 * What other domains use from archival/recall memory. The agent loop builds its ports with:
 *   archival: archivalMemory.portFor(principal, agentId)   // ArchivalMemoryService
 *   recall: recallSearch.portFor(principal, agentId)       // RecallSearchService
 * after importing ArchivalModule.
 */
export { ArchivalModule } from './archival.module';
export { ArchivalMemoryService } from './archival-memory.service';
export { RecallSearchService } from './recall-search.service';
export { EmbeddingsService } from './embeddings.service';
