// Copied into kube-network-policies' pkg/networkpolicy by test/cluster/build.sh, which also makes
// every nftables rule that sends packets to the policy engine use xtQueue(queue) instead of queue.

package networkpolicy

import (
	"encoding/binary"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// xtQueue returns the same verdict as q (send the packet to NFQUEUE q.Num, or let it pass when
// q says bypass and nobody listens) as the xtables NFQUEUE target, which nftables runs through
// nft_compat: for kernels built without nftables' own queue expression (CONFIG_NFT_QUEUE).
func xtQueue(q *expr.Queue) expr.Any {
	info := make(xt.Unknown, 8) // struct xt_NFQ_info_v3 { __u16 queuenum, queues_total, flags; }, 8-byte aligned
	binary.NativeEndian.PutUint16(info[0:], q.Num)
	binary.NativeEndian.PutUint16(info[2:], 1)
	if q.Flag&expr.QueueFlagBypass != 0 {
		binary.NativeEndian.PutUint16(info[4:], 1) // NFQ_FLAG_BYPASS
	}
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}
