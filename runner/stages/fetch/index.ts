/** The fetch stage: one commit of the candidate's repository, fetched under the URL policy. */
export { fetchHistory, fetchRepository, type FetchInput, type FetchResult, type HistoryInput } from './fetch.ts';
export { isPrivateAddress, parseRepoUrl, resolveAllowedAddress, validateRef, MAX_REF_LENGTH, MAX_URL_LENGTH, type ParsedRepoUrl } from '../../net/url-policy.ts';
