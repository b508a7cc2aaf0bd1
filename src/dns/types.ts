/** A DNS question and where to send it. */
export interface DnsQuery {
  /** Server address (IPv4 or IPv6 literal, or a host name resolved by the system resolver). */
  server: string
  /** Default 53. */
  port?: number
  name: string
  /** `A`, `AAAA`, `TXT`, `NS`, `SOA`, ... */
  type: string
  /** `IN` (default) or `CH`. */
  class?: 'IN' | 'CH'
  /** Address family of the socket; default: the family of `server`. */
  family?: 4 | 6
  /** Use TCP from the start (otherwise UDP, and TCP when the answer is truncated). */
  tcp?: boolean
  /** Ask for recursion (RD bit); default true. */
  recursion?: boolean
}

/** One resource record of an answer, with RDATA decoded by dns-packet. */
export interface DnsRecord {
  name: string
  type: string
  class: string
  ttl: number
  /** A/AAAA: the address string; TXT: array of Buffers (character-strings); others: dns-packet's shape. */
  data: unknown
}

/** A validated answer (ID, question and class matched the query). */
export interface DnsAnswer {
  /** `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ... */
  rcode: string
  answers: DnsRecord[]
  authorities: DnsRecord[]
  /** The transport that delivered the answer. */
  transport: 'udp' | 'tcp'
}

/** Sends DNS queries; the real one uses node:dgram and node:net with dns-packet. */
export interface DnsClient {
  /**
   * @throws EdgeError kind `transient` on timeout (after the configured retry) or socket error;
   *   kind `protocol` when the answer does not match the query (ID, question, class).
   */
  query(q: DnsQuery, signal?: AbortSignal): Promise<DnsAnswer>
}
